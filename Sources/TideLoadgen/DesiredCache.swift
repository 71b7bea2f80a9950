import Foundation
import TideCore

/// Decodes desired-state bodies, once per distinct content. Bodies differ between servers only in
/// `"index"` and `"server"` (the controller encodes with sorted keys, compactly), so the body with
/// those two values cut out is the cache key; servers of one wave share one decode. Loop thread only.
final class DesiredCache {
    private var entries: [[UInt8]: [AgentProtocol.DesiredService]] = [:]
    private let decoder = JSONDecoder()
    private let recorder: StatsRecorder
    private static let indexKey = Array("{\"index\":".utf8)
    private static let serverKey = Array(",\"server\":\"".utf8)

    init(recorder: StatsRecorder) { self.recorder = recorder }

    /// The index and services of `body` (a desired state for `server`), or an error naming what was wrong.
    func decode(_ body: [UInt8], server: String) throws -> (index: UInt64, services: [AgentProtocol.DesiredService]) {
        if let (index, key) = Self.split(body, server: server) {
            if let services = entries[key] {
                recorder.desiredDecoded(cacheHit: true)
                return (index, services)
            }
            let state = try decodeFully(body, server: server)
            if entries.count >= 1024 { entries.removeAll(keepingCapacity: true) }
            entries[key] = state.services
            return (state.index, state.services)
        }
        let state = try decodeFully(body, server: server)
        return (state.index, state.services)
    }

    private func decodeFully(_ body: [UInt8], server: String) throws -> AgentProtocol.DesiredState {
        recorder.desiredDecoded(cacheHit: false)
        let state: AgentProtocol.DesiredState
        do {
            state = try decoder.decode(AgentProtocol.DesiredState.self, from: Data(body))
        } catch {
            throw LoadgenError("desired state for \(server): not a DesiredState: \(error)")
        }
        guard state.server == server else {
            throw LoadgenError("desired state for \(server) names server \(state.server)")
        }
        return state
    }

    /// `{"index":N,"server":"NAME",REST` → (N, REST) when the body has exactly that shape.
    static func split(_ body: [UInt8], server: String) -> (UInt64, [UInt8])? {
        guard body.starts(with: indexKey) else { return nil }
        var i = indexKey.count
        var index: UInt64 = 0
        let digitsStart = i
        while i < body.count, body[i] >= 48, body[i] <= 57 {
            index = index &* 10 &+ UInt64(body[i] - 48)
            i += 1
        }
        guard i > digitsStart, i + serverKey.count < body.count, body[i..<(i + serverKey.count)].elementsEqual(serverKey)
        else { return nil }
        i += serverKey.count
        let name = Array(server.utf8)
        guard i + name.count + 1 < body.count, body[i..<(i + name.count)].elementsEqual(name),
            body[i + name.count] == UInt8(ascii: "\"")
        else { return nil }
        return (index, Array(body[(i + name.count + 1)...]))
    }
}
