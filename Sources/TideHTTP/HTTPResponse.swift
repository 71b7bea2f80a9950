import Foundation
import TideCore

/// What a handler answers: status, headers and the whole body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// More body after `body`, sent part by part without being joined: parts shared by many answers
    /// (a bundle's cached JSON in 10,000 blocking-query answers) are then held once, not once per
    /// connection until its answer is sent.
    public var parts: [[UInt8]]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], parts: [[UInt8]] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.parts = parts
    }

    /// The whole body, `body` then every part (joined: for tests and small answers).
    public var joinedBody: [UInt8] { parts.isEmpty ? body : body + parts.joined() }

    /// A plain-text answer.
    public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    /// A JSON answer of an `Encodable` value (sorted keys, so answers are stable).
    public static func json<T: Encodable>(_ value: T, status: Int = 200) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            let data = try encoder.encode(value)
            return HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(data))
        } catch {
            return .error(500, "encoding failed", detail: "\(error)")
        }
    }

    /// A JSON error body (`AgentProtocol.ErrorBody`) with a 4xx/5xx status.
    public static func error(_ status: Int, _ error: String, detail: String? = nil) -> HTTPResponse {
        json(AgentProtocol.ErrorBody(error: error, detail: detail), status: status)
    }

    /// The value of a header, case-insensitive.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}
