import Foundation
import Synchronization
import TideController
import TideCore

/// A test double of the controller core only (the reconciler), with plain in-memory state, so the
/// HTTP layer can be tested over a real server and client. Records every call it sees.
final class InMemoryBackend: ControllerBackend {
    struct State {
        var servers: Set<String> = ["web-01", "web-02"]
        var index: UInt64 = 1
        /// The asked heartbeat in every answer (nil: none).
        var heartbeat: Int?
        var blobs: [String: [UInt8]] = [:]
        var reports: [(server: String, report: AgentProtocol.Report)] = []
        var desiredCalls: [(server: String, index: UInt64, wait: Duration)] = []
        var blobCalls: [String] = []
        var commands: [(rollout: String, command: RolloutEvent.Command, actor: String)] = []
        var releases: [(service: String, revision: String, actor: String)] = []
        var reverts: [(commit: String, reason: String?, actor: String)] = []
        var fetches: [String] = []
        var rejected: [(forge: String, remote: String, detail: String)] = []
        var reads = 0
    }

    let state = Mutex(State())

    /// Moves every server's index on, waking blocking queries.
    func bump() { state.withLock { $0.index += 1 } }

    func isKnownServer(_ server: String) async -> Bool { state.withLock { $0.servers.contains(server) } }

    func desired(server: String, after index: UInt64, wait: Duration) async -> AgentProtocol.DesiredState {
        state.withLock { $0.desiredCalls.append((server, index, wait)) }
        let clock = ContinuousClock()
        let deadline = clock.now + wait
        while true {
            let (current, heartbeat) = state.withLock { ($0.index, $0.heartbeat) }
            if current > index || clock.now >= deadline || Task.isCancelled {
                return AgentProtocol.DesiredState(index: current, server: server, services: [], heartbeatSeconds: heartbeat)
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    func blob(_ id: String) async -> [UInt8]? {
        state.withLock {
            $0.blobCalls.append(id)
            return $0.blobs[id]
        }
    }

    func report(server: String, _ report: AgentProtocol.Report) async throws {
        if let bad = report.services.first(where: { $0.service == "unknown-service" }) {
            throw ControllerError.badRequest("server \(server) does not run service \(bad.service)")
        }
        state.withLock { $0.reports.append((server, report)) }
    }

    func status() async -> OperatorAPI.Status {
        state.withLock { $0.reads += 1 }
        return OperatorAPI.Status(
            repo: "git://127.0.0.1/fleet", branch: "main", head: "abc", lastFetchAt: nil, fetchError: nil, servers: 2,
            agentsConnected: 0, services: [], now: 0)
    }

    func rollouts(service: String?, limit: Int) async -> OperatorAPI.Rollouts {
        state.withLock { $0.reads += 1 }
        return OperatorAPI.Rollouts(rollouts: [])
    }

    func rollout(id: String) async -> RolloutSummary? { nil }

    func servers() async -> OperatorAPI.Servers { OperatorAPI.Servers(servers: []) }

    func history(limit: Int) async -> OperatorAPI.History { OperatorAPI.History(revisions: []) }

    func audit(service: String?, limit: Int) async -> OperatorAPI.Audit { OperatorAPI.Audit(entries: []) }

    func command(rollout id: String, _ command: RolloutEvent.Command, actor: String) async throws
        -> OperatorAPI.CommandResult
    {
        guard id.hasPrefix("r") else { throw ControllerError.notFound("no rollout '\(id)'") }
        state.withLock { $0.commands.append((id, command, actor)) }
        return OperatorAPI.CommandResult(ok: true, message: "\(command) \(id)", rollout: nil)
    }

    func release(service: String, revision: String, actor: String) async throws -> OperatorAPI.CommandResult {
        state.withLock { $0.releases.append((service, revision, actor)) }
        return OperatorAPI.CommandResult(ok: true, message: "released \(service) at \(revision)", rollout: nil)
    }

    func revert(commit: String, reason: String?, actor: String) async throws -> OperatorAPI.RevertResult {
        state.withLock { $0.reverts.append((commit, reason, actor)) }
        return OperatorAPI.RevertResult(reverted: commit, revertCommit: "f00d")
    }

    func fetchSoon(cause: String) { state.withLock { $0.fetches.append(cause) } }

    func webhookRejected(forge: String, remote: String, detail: String) async {
        state.withLock { $0.rejected.append((forge, remote, detail)) }
    }
}
