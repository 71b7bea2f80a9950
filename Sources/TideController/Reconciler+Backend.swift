import Foundation
import TideCore
import TideGit
import TideLog
import TideStore

extension Reconciler: ControllerBackend {
    // MARK: agents

    public func isKnownServer(_ server: String) async -> Bool {
        inventory[server] != nil || engine.services.values.contains { $0.targets[server] != nil }
    }

    public func desired(server: String, after index: UInt64, wait: Duration) async -> AgentProtocol.DesiredState {
        // Heard now; while it waits, `tick` hears every server holding a blocking query every few
        // seconds (one batch for all of them), so a short `offlineAfter` never mistakes a waiting agent
        // for a dead one, and 10,000 waiting agents cost no timer or actor hop each.
        heard(server: server)
        // Held up to an eighth less than asked, at random: agents that connected together (a controller
        // restart) do not all come back in the same second.
        let limit = min(wait, Self.maxWait)
        let jitter = limit.milliseconds / 8
        let held = jitter > 0 ? limit - .milliseconds(Int64.random(in: 0...jitter)) : limit
        return await board.wait(server: server, after: index, wait: held)
    }

    public func blob(_ id: String) async -> [UInt8]? { blobs[id] }

    public func report(server: String, _ report: AgentProtocol.Report) async throws {
        try await handleReport(server: server, report)
    }

    // MARK: operators, read

    public func status() async -> OperatorAPI.Status {
        let now = Self.now()
        let summaries = Dictionary(engine.summaries().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var services: [OperatorAPI.ServiceStatus] = []
        for name in Set(engine.services.keys).union(config?.services.keys ?? [:].keys).sorted() {
            let state = engine.services[name]
            let latest = state?.current ?? state?.history.last
            var summary = latest.flatMap { summaries[$0.id] } ?? latest.map(RolloutSummary.init)
            summary?.lines = []
            let targets = state?.targets ?? [:]
            let healthy = targets.filter { server, bundle in
                guard let o = observed[server]?[name] else { return false }
                return o.bundle == bundle && o.phase == AgentProtocol.Phase.healthy.rawValue
            }.count
            var held = state?.hold.map { "\($0.cause.rawValue): \($0.reason)" }
            if held == nil, let configError, config == nil || state == nil { held = configError }
            services.append(
                OperatorAPI.ServiceStatus(
                    service: name, revision: state?.lastRevision, lastGoodRevision: state?.lastGoodRevision,
                    servers: targets.filter { !isEmptyBundle($0.value, service: name) }.count, healthy: healthy,
                    held: held, rollout: summary))
        }
        let connected = engine.lastHeard.values.filter { now - $0 < 60_000 }.count
        var fetchProblem = fetchError
        if let configError { fetchProblem = fetchProblem.map { "\($0); \(configError)" } ?? configError }
        return OperatorAPI.Status(
            repo: mirror.remote.displayURL, branch: options.branch, head: head, lastFetchAt: lastFetchAt,
            fetchError: fetchProblem, servers: inventory.count, agentsConnected: connected, services: services, now: now)
    }

    func isEmptyBundle(_ id: String, service: String) -> Bool { id == TideCore.Bundle.empty(service: service).id }

    public func rollouts(service: String?, limit: Int) async -> OperatorAPI.Rollouts {
        var list = engine.summaries().filter { service == nil || $0.service == service }
        list.sort { $0.startedAt == $1.startedAt ? $0.id > $1.id : $0.startedAt > $1.startedAt }
        var known = Set(list.map(\.id))
        // Older rollouts than the engine keeps come from the store.
        for record in (try? store.rollouts(service: service, limit: limit)) ?? [] where !known.contains(record.id) {
            known.insert(record.id)
            list.append(Self.summary(of: record))
        }
        list.sort { $0.startedAt == $1.startedAt ? $0.id > $1.id : $0.startedAt > $1.startedAt }
        return OperatorAPI.Rollouts(rollouts: Array(list.prefix(max(1, limit))).map { var s = $0; s.lines = []; return s })
    }

    static func summary(of record: RolloutRecord) -> RolloutSummary {
        let state = Rollout.State(rawValue: record.state) ?? .succeeded
        return RolloutSummary(
            id: record.id, service: record.service, revision: record.revision,
            kind: NewRevision.Kind(rawValue: record.kind) ?? .change, state: state,
            breached: state == .failed || state == .reverting || state == .reverted, wave: record.wave,
            waves: record.waves, servers: record.servers, released: record.released, healthy: record.healthy,
            failed: record.failed, timedOut: record.timedOut, offline: record.offline, startedAt: record.startedAt,
            endedAt: record.endedAt)
    }

    public func rollout(id: String) async -> RolloutSummary? {
        if let r = engine.rollout(id: id) { return RolloutSummary(r) }
        return (try? store.rollout(id: id)).flatMap { $0 }.map(Self.summary(of:))
    }

    public func servers() async -> OperatorAPI.Servers {
        var names = Set(inventory.keys)
        for s in engine.services.values { names.formUnion(s.targets.keys) }
        let list = names.sorted().map { name -> OperatorAPI.ServerStatus in
            var services: [OperatorAPI.ServerService] = []
            for (service, state) in engine.services.sorted(by: { $0.key < $1.key }) {
                guard let target = state.targets[name] else { continue }
                if isEmptyBundle(target, service: service), observed[name]?[service] == nil { continue }
                let o = observed[name]?[service]
                services.append(
                    OperatorAPI.ServerService(
                        service: service, targetBundle: target, targetRevision: revision(service: service, server: name, bundle: target) ?? bundles[target]?.revision,
                        reportedBundle: o?.bundle, phase: o?.phase, detail: o?.detail, reportedAt: o?.at))
            }
            return OperatorAPI.ServerStatus(
                server: name, labels: inventory[name]?.labels ?? [:], lastSeen: engine.lastHeard[name], services: services)
        }
        return OperatorAPI.Servers(servers: list)
    }

    public func history(limit: Int) async -> OperatorAPI.History {
        guard let head else { return OperatorAPI.History(revisions: []) }
        let commits = ((try? await mirror.update(from: nil, to: head))?.commits ?? []).reversed().prefix(max(1, limit))
        let records = (try? store.rollouts(service: nil, limit: 1000)) ?? []
        var live: [String: [OperatorAPI.HistoryRollout]] = [:]
        var seen = Set<String>()
        for s in engine.summaries() {
            seen.insert(s.id)
            live[s.revision, default: []].append(.init(service: s.service, rollout: s.id, state: s.state.rawValue))
        }
        for r in records where !seen.contains(r.id) {
            live[r.revision, default: []].append(.init(service: r.service, rollout: r.id, state: r.state))
        }
        return OperatorAPI.History(
            revisions: commits.map { c in
                OperatorAPI.HistoryEntry(
                    revision: c.sha, subject: c.subject, author: c.authorName,
                    time: Int64(c.time.timeIntervalSince1970 * 1000),
                    rollouts: (live[c.sha] ?? []).sorted { $0.service < $1.service })
            })
    }

    public func audit(service: String?, limit: Int) async -> OperatorAPI.Audit {
        let entries = (try? store.audit(AuditQuery(service: service, limit: max(1, min(limit, 10_000))))) ?? []
        return OperatorAPI.Audit(
            entries: entries.map {
                OperatorAPI.AuditRecord(
                    seq: $0.seq, at: $0.at, actor: $0.actor, action: $0.action, service: $0.service,
                    fromRevision: $0.fromRevision, toRevision: $0.toRevision, detail: $0.detail)
            })
    }

    // MARK: operators, write

    public func command(rollout id: String, _ command: RolloutEvent.Command, actor: String) async throws
        -> OperatorAPI.CommandResult
    {
        guard let r = engine.rollout(id: id) else { throw ControllerError.notFound("no rollout \(id)") }
        if r.state.isTerminal {
            throw ControllerError.conflict("rollout \(id) is \(r.state.rawValue): nothing to \(Self.verb(command))")
        }
        apply(.command(service: r.service, command, at: Self.now()), actor: actor, force: true)
        let after = engine.rollout(id: id).map(RolloutSummary.init)
        Log.notice("operator.command", ["actor": actor, "command": Self.verb(command), "rollout": id])
        return OperatorAPI.CommandResult(
            ok: true, message: "\(Self.verb(command)) rollout \(id): now \(after?.state.rawValue ?? "?")", rollout: after)
    }

    static func verb(_ command: RolloutEvent.Command) -> String {
        switch command {
        case .pause: "pause"
        case .resume: "resume"
        case .abort: "abort"
        case .promote: "promote"
        case .release: "release"
        }
    }

    public func release(service: String, revision: String, actor: String) async throws -> OperatorAPI.CommandResult {
        guard let state = engine.services[service] else { throw ControllerError.notFound("no service \(service)") }
        guard let hold = state.hold, let held = state.heldRevision else {
            throw ControllerError.conflict("service \(service) is not held for a quarantined revision")
        }
        guard held.revision.hasPrefix(revision.lowercased()), revision.count >= 4 else {
            throw ControllerError.conflict(
                "service \(service) is held at \(held.revision.prefix(7)), not \(revision) (\(hold.reason))")
        }
        apply(.command(service: service, .release(revision: held.revision), at: Self.now()), actor: actor, force: true)
        let current = engine.currentRollout(service: service).map(RolloutSummary.init)
        Log.notice("operator.release", ["actor": actor, "service": service, "revision": held.revision])
        return OperatorAPI.CommandResult(
            ok: true, message: "released \(held.revision.prefix(7)) of \(service)", rollout: current)
    }

    public func revert(commit: String, reason: String?, actor: String) async throws -> OperatorAPI.RevertResult {
        try await revertByHand(commit: commit, reason: reason, actor: actor)
    }

    // MARK: webhooks

    public nonisolated func fetchSoon(cause: String) {
        fetchTrigger.trigger(cause == "webhook" ? .webhook : .manual)
    }

    public func webhookRejected(forge: String, remote: String, detail: String) async {
        audit(action: "webhook-rejected", service: nil, detail: "\(forge) webhook from \(remote) rejected: \(detail)", actor: "webhook:\(forge)")
    }
}
