import Foundation
import TideCore

/// Short descriptions of error answers for `FleetStats.problems`: status and the `error` field.
enum ProblemText {
    static func describe(_ reply: HTTPReply) -> String {
        if let body = try? JSONDecoder().decode(AgentProtocol.ErrorBody.self, from: Data(reply.body)) {
            return "\(reply.status) \(body.error)"
        }
        return "\(reply.status) \(String(decoding: reply.body.prefix(80), as: UTF8.self))"
    }
}
