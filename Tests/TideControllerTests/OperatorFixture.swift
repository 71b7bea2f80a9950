import Foundation
import TideCore

/// Operator API values for the CLI tests, built the way the CLI gets them: decoded from JSON.
enum OperatorFixture {
    static let now: Int64 = 1_800_000_000_000

    /// A rollout summary; `lines` are (server, wave, status, reason).
    static func rollout(
        id: String = "12", service: String = "web", revision: String = "abcdef0123456789", kind: String = "change",
        state: String = "verifying", breached: Bool = false, wave: Int = 2, waves: Int = 4, servers: Int = 18,
        released: Int = 5, healthy: Int = 4, failed: Int = 0, timedOut: Int = 0, offline: Int = 0,
        startedAt: Int64 = now - 180_000, endedAt: Int64? = nil, lines: [(String, Int, String, String?)] = []
    ) -> RolloutSummary {
        var object: [String: Any] = [
            "id": id, "service": service, "revision": revision, "kind": kind, "state": state, "breached": breached,
            "wave": wave, "waves": waves, "servers": servers, "released": released, "healthy": healthy,
            "failed": failed, "timedOut": timedOut, "offline": offline, "startedAt": startedAt,
            "lines": lines.map { line -> [String: Any] in
                var l: [String: Any] = ["server": line.0, "bundle": "b-\(line.0)", "wave": line.1, "status": line.2]
                if let reason = line.3 { l["reason"] = reason }
                return l
            },
        ]
        if let endedAt { object["endedAt"] = endedAt }
        let data = try! JSONSerialization.data(withJSONObject: object)
        return try! JSONDecoder().decode(RolloutSummary.self, from: data)
    }

    static func status(services: [OperatorAPI.ServiceStatus], fetchError: String? = nil) -> OperatorAPI.Status {
        OperatorAPI.Status(
            repo: "git://127.0.0.1/fleet.git", branch: "main", head: "0123456789abcdef", lastFetchAt: now - 3_000,
            fetchError: fetchError, servers: 18, agentsConnected: 17, services: services, now: now)
    }

    static func service(_ name: String, held: String? = nil, rollout: RolloutSummary? = nil) -> OperatorAPI.ServiceStatus {
        OperatorAPI.ServiceStatus(
            service: name, revision: "abcdef0123456789", lastGoodRevision: "9876543210fedcba", servers: 18, healthy: 17,
            held: held, rollout: rollout)
    }

    /// JSON text of an encodable value (sorted keys), for canned answers.
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}
