/// The rollout state machine for every service (DESIGN.md "Rollout lifecycle"): pure, deterministic,
/// no I/O and no clock. Feed it `RolloutEvent`s with `handle(_:)`; it returns `RolloutDecision`s for the
/// controller to persist and then perform. The whole value is `Codable`, so it can be stored and restored.
public struct RolloutEngine: Hashable, Sendable, Codable {
    /// Why a service is held.
    public struct Hold: Hashable, Sendable, Codable {
        public enum Cause: String, Hashable, Sendable, Codable {
            case invalidConfig, quarantined, revertFailed, revertBreached, nothingToRevert
            /// Every server of the rollout was offline: nothing was verified, so nothing is marked good.
            case unverified
        }
        public var cause: Cause
        public var revision: String
        public var reason: String
        public var at: Int64
    }

    /// A bundle that was part of a breached rollout; releasing it again needs an operator or `Tide-Retry: true`.
    public struct Quarantined: Hashable, Sendable, Codable {
        public var bundle: String
        public var rollout: String
        public var revision: String
        public var reason: String
    }

    /// An offline server to bring to the last good bundle when it is heard from again.
    public struct CatchUp: Hashable, Sendable, Codable {
        public var bundle: String
        public var rollout: String
    }

    /// Everything the engine knows about one service.
    public struct Service: Hashable, Sendable, Codable {
        public var name: String
        /// The running (or last) rollout.
        public var current: Rollout?
        /// Earlier rollouts, oldest first, at most `RolloutEngine.historyLimit`.
        public var history: [Rollout] = []
        public var hold: Hold?
        /// The revision held back because it would release a quarantined bundle.
        public var heldRevision: NewRevision?
        /// Server → bundle id it should hold now.
        public var targets: [String: String] = [:]
        /// Server → bundle id of the last good revision, as far as this engine recorded it.
        public var lastGood: [String: String] = [:]
        public var lastGoodRevision: String?
        /// The newest revision handed in (a revision seen twice is ignored).
        public var lastRevision: String?
        /// Bundle id → why it is quarantined.
        public var quarantine: [String: Quarantined] = [:]
        public var catchUp: [String: CatchUp] = [:]

        init(name: String) { self.name = name }
    }

    /// How many finished rollouts per service the engine keeps for summaries (the store keeps them all).
    /// Three: each archived rollout keeps every member (10,000 lines for a service on every server), and
    /// the engine is held in memory and snapshotted whole; older rollouts are in the store's rollout rows
    /// (counts, no per-server lines). docs/scale.md.
    public static let historyLimit = 3

    public private(set) var services: [String: Service] = [:]
    /// Server → last time it was heard from (report or poll).
    public private(set) var lastHeard: [String: Int64] = [:]
    /// The newest time any event carried.
    public private(set) var now: Int64 = 0
    public private(set) var nextRolloutNumber = 1

    public init() {}

    // MARK: queries

    /// The bundle id `server` should hold now for `service`, when the engine has decided one.
    public func target(service: String, server: String) -> String? { services[service]?.targets[server] }

    /// The service's running or last rollout.
    public func currentRollout(service: String) -> Rollout? { services[service]?.current }

    /// A rollout by id, running or among the recent ones.
    public func rollout(id: String) -> Rollout? {
        for name in services.keys.sorted() {
            let s = services[name]!
            if s.current?.id == id { return s.current }
            if let r = s.history.last(where: { $0.id == id }) { return r }
        }
        return nil
    }

    /// Summaries of every service's current rollout, by service name.
    public func summaries() -> [RolloutSummary] {
        services.keys.sorted().compactMap { services[$0]!.current.map(RolloutSummary.init) }
    }

    /// The service's hold, if it is held.
    public func hold(service: String) -> Hold? { services[service]?.hold }

    /// Whether any service waits to bring `server` up to date when it is heard from. Called for every
    /// heard event: a plain loop over the dictionary, which the optimiser keeps from copying each
    /// `Service` (`values.contains(where:)` from another module copied all 50 of them, every time).
    public func hasCatchUp(server: String) -> Bool {
        for (_, service) in services where service.catchUp[server] != nil { return true }
        return false
    }

    // MARK: events

    /// A cheap mark of where `service` stands (its rollout's state, wave and counts, its hold and
    /// bookkeeping sizes): it changes whenever an event moves the service on, without comparing every
    /// server's entry. The controller compares marks before and after an event to decide whether the
    /// event must be written (O(1) per event instead of copying and comparing 10,000-server maps).
    public func progressMark(service name: String) -> ProgressMark? {
        guard let s = services[name] else { return nil }
        let r = s.current
        return ProgressMark(
            rollout: r?.id, state: r?.state, paused: r?.paused, breached: r?.breached, wave: r?.wave,
            waveReleasedAt: r?.waveReleasedAt, bakeUntil: r?.bakeUntil, promotedWave: r?.promotedWave,
            counts: r.map { [$0.released, $0.healthy, $0.failed, $0.timedOut, $0.offline, $0.unresolvedInWave] } ?? [],
            hold: s.hold, lastGoodRevision: s.lastGoodRevision, lastRevision: s.lastRevision,
            sizes: [s.history.count, s.targets.count, s.lastGood.count, s.quarantine.count, s.catchUp.count])
    }

    /// See `progressMark(service:)`.
    public struct ProgressMark: Hashable, Sendable {
        var rollout: String?
        var state: Rollout.State?
        var paused: Bool?
        var breached: Bool?
        var wave: Int?
        var waveReleasedAt: Int64?
        var bakeUntil: Int64?
        var promotedWave: Int?
        var counts: [Int]
        var hold: Hold?
        var lastGoodRevision: String?
        var lastRevision: String?
        var sizes: [Int]
    }

    /// Applies one event and returns what the controller must do, in order.
    public mutating func handle(_ event: RolloutEvent) -> [RolloutDecision] {
        now = max(now, event.at)
        var out: [RolloutDecision] = []
        switch event {
        case .revision(let revision, _):
            newRevision(revision, operatorReleased: false, &out)
        case .invalidConfig(let service, let revision, let detail, _):
            invalidConfig(service: service, revision: revision, detail: detail, &out)
        case .report(let server, let service, let bundle, let phase, let detail, let at):
            heard(server, at: at, &out)
            report(server: server, service: service, bundle: bundle, phase: phase, detail: detail, &out)
        case .heard(let server, let at):
            heard(server, at: at, &out)
        case .tick:
            for name in services.keys.sorted() {
                guard var (r, s) = running(name) else { continue }
                checkTimeout(&r, &s, &out)
                advance(&r, &s, &out)
                put(r, s)
            }
        case .command(let service, let command, _):
            self.command(service: service, command, &out)
        case .revertOutcome(let service, let rollout, let outcome, _):
            revertOutcome(service: service, rollout: rollout, outcome, &out)
        }
        return out
    }

    // MARK: revisions

    mutating func newRevision(_ rev: NewRevision, operatorReleased: Bool, _ out: inout [RolloutDecision]) {
        var s = services[rev.service] ?? Service(name: rev.service)
        if !operatorReleased {
            if s.lastRevision == rev.revision { return }
            s.lastRevision = rev.revision
        }
        if var r = s.current, !r.state.isTerminal {
            r.state = .superseded
            r.endedAt = now
            out.append(.notify(service: r.service, rollout: r.id, .superseded, message: "superseded by \(short(rev.revision))"))
            s.current = r
        }
        for p in rev.placements where s.targets[p.server] == nil { s.targets[p.server] = p.lastGoodBundle }
        let affected = rev.placements.filter { $0.bundle != s.targets[$0.server] }

        if !rev.retry && !operatorReleased {
            if let hit = affected.first(where: { s.quarantine[$0.bundle] != nil }), let q = s.quarantine[hit.bundle] {
                let reason =
                    "revision \(short(rev.revision)) would give \(hit.server) bundle \(short(hit.bundle)), quarantined after rollout \(q.rollout) of \(short(q.revision)) breached (\(q.reason)); release it with `tide release \(rev.service) \(short(rev.revision))` or a `Tide-Retry: true` trailer"
                s.hold = Hold(cause: .quarantined, revision: rev.revision, reason: reason, at: now)
                s.heldRevision = rev
                archive(&s)
                out.append(.hold(service: rev.service, rollout: nil, revision: rev.revision, reason: reason))
                out.append(.notify(service: rev.service, rollout: nil, .held, message: reason))
                services[rev.service] = s
                return
            }
        }
        s.hold = nil
        s.heldRevision = nil
        archive(&s)
        for p in affected { s.catchUp[p.server] = nil }
        if affected.isEmpty {
            s.lastGoodRevision = rev.revision
            out.append(.markGood(service: rev.service, revision: rev.revision, targets: []))
            services[rev.service] = s
            return
        }
        let id = "\(rev.service)-\(nextRolloutNumber)"
        nextRolloutNumber += 1
        let members = affected.map {
            Rollout.Member(
                server: $0.server, bundle: $0.bundle, lastGoodBundle: $0.lastGoodBundle, wave: 0, status: .waiting)
        }
        var r = Rollout(id: id, revision: rev, members: members, at: now)
        out.append(
            .notify(
                service: rev.service, rollout: id, .started,
                message:
                    "rollout \(id) of \(short(rev.revision)) started over \(members.count) servers in \(r.waveEnds.count) waves"
            ))
        advance(&r, &s, &out)
        s.current = r
        services[rev.service] = s
    }

    mutating func invalidConfig(service: String, revision: String, detail: String, _ out: inout [RolloutDecision]) {
        var s = services[service] ?? Service(name: service)
        if s.lastRevision == revision, s.hold != nil { return }
        s.lastRevision = revision
        let reason = "config at \(short(revision)) is invalid: \(detail)"
        s.hold = Hold(cause: .invalidConfig, revision: revision, reason: reason, at: now)
        if var r = s.current, !r.state.isTerminal, !r.paused {
            r.paused = true
            s.current = r
        }
        out.append(.hold(service: service, rollout: s.current?.id, revision: revision, reason: reason))
        out.append(.notify(service: service, rollout: s.current?.id, .held, message: reason))
        services[service] = s
    }

    /// Moves a terminal current rollout into the history.
    func archive(_ s: inout Service) {
        guard let r = s.current, r.state.isTerminal else { return }
        s.history.append(r)
        if s.history.count > Self.historyLimit { s.history.removeFirst(s.history.count - Self.historyLimit) }
        s.current = nil
    }

    // MARK: reports and time

    mutating func heard(_ server: String, at: Int64, _ out: inout [RolloutDecision]) {
        lastHeard[server] = max(lastHeard[server] ?? at, at)
        // Heard thousands of times a second at 10,000 servers: look for catch-ups before sorting names.
        guard hasCatchUp(server: server) else { return }
        for name in services.keys.sorted() where services[name]!.catchUp[server] != nil {
            let c = services[name]!.catchUp[server]!
            services[name]!.catchUp[server] = nil
            guard services[name]!.targets[server] != c.bundle else { continue }
            services[name]!.targets[server] = c.bundle
            out.append(
                .release(service: name, rollout: c.rollout, wave: 0, targets: [.init(server: server, bundle: c.bundle)]))
        }
    }

    mutating func report(
        server: String, service: String, bundle: String, phase: AgentProtocol.Phase, detail: String?,
        _ out: inout [RolloutDecision]
    ) {
        guard services[service]?.targets[server] == bundle, var (r, s) = running(service) else { return }
        defer { put(r, s) }
        do {
            guard let i = r.index[server], r.members[i].bundle == bundle else { return }
            let status = r.members[i].status
            switch phase {
            case .healthy:
                guard status == .released else { return }
                r.members[i].status = .healthy
                r.members[i].reason = nil
                r.healthy += 1
                if r.members[i].wave == r.wave { r.unresolvedInWave -= 1 }
            case .unhealthy, .failed:
                guard status == .released || status == .healthy else { return }
                r.members[i].status = .failed
                r.members[i].reason = "\(phase.rawValue)" + (detail.map { ": \($0)" } ?? "")
                r.failed += 1
                if status == .healthy { r.healthy -= 1 }
                if status == .released, r.members[i].wave == r.wave { r.unresolvedInWave -= 1 }
                checkBreach(&r, &s, &out)
            case .applying, .applied, .drifted:
                return
            }
            advance(&r, &s, &out)
        }
    }

    func checkTimeout(_ r: inout Rollout, _ s: inout Service, _ out: inout [RolloutDecision]) {
        guard r.state == .verifying, r.unresolvedInWave > 0,
            now >= r.waveReleasedAt + r.policy.waveTimeout.milliseconds
        else { return }
        let limit = DurationText.format(r.policy.waveTimeout)
        for i in r.members.indices where r.members[i].wave == r.wave && r.members[i].status == .released {
            r.members[i].status = .timedOut
            r.members[i].reason = "no healthy report within \(limit)"
            r.timedOut += 1
        }
        r.unresolvedInWave = 0
        checkBreach(&r, &s, &out)
    }

    /// Takes the service and its non-terminal current rollout out of `services` (so both are uniquely
    /// owned and mutate in place, not copied per event); every caller writes them back with `put`.
    mutating func running(_ service: String) -> (Rollout, Service)? {
        guard let terminal = services[service]?.current?.state.isTerminal, !terminal,
            var s = services.removeValue(forKey: service), let r = s.current
        else { return nil }
        s.current = nil
        return (r, s)
    }

    mutating func put(_ r: Rollout, _ s: Service) {
        var s = s
        s.current = r
        services[s.name] = s
    }

    // MARK: the lifecycle

    /// Drives `r` as far as the current time and its counts allow.
    func advance(_ r: inout Rollout, _ s: inout Service, _ out: inout [RolloutDecision]) {
        for _ in 0...(r.waveEnds.count * 3 + 3) {
            if r.state.isTerminal || r.breached { return }
            switch r.state {
            case .pending:
                if r.paused { return }
                releaseNextWave(&r, &s, &out)
            case .verifying:
                if r.unresolvedInWave > 0 { return }
                r.state = .baking
                let bake = r.promotedWave == r.wave ? 0 : r.policy.bake.milliseconds
                r.bakeUntil = now + bake
            case .baking:
                guard let until = r.bakeUntil, now >= until else { return }
                if r.wave + 1 >= r.waveEnds.count {
                    succeed(&r, &s, &out)
                    return
                }
                if r.paused { return }
                out.append(
                    .notify(
                        service: r.service, rollout: r.id, .waveDone,
                        message: "wave \(r.wave + 1) of \(r.waveEnds.count) done: \(r.healthy) healthy"))
                releaseNextWave(&r, &s, &out)
            default:
                return
            }
        }
    }

    func releaseNextWave(_ r: inout Rollout, _ s: inout Service, _ out: inout [RolloutDecision]) {
        r.wave += 1
        let start = r.wave == 0 ? 0 : r.waveEnds[r.wave - 1]
        let end = r.waveEnds[r.wave]
        var release: [RolloutDecision.Target] = []
        var back: [RolloutDecision.Target] = []
        for i in start..<end {
            let m = r.members[i]
            if isOffline(m.server, after: r.policy.offlineAfter) {
                r.members[i].status = .offline
                r.members[i].reason = lastHeard[m.server].map { "not heard from since \($0)" } ?? "never heard from"
                r.offline += 1
                if s.targets[m.server] != m.lastGoodBundle {
                    s.targets[m.server] = m.lastGoodBundle
                    back.append(.init(server: m.server, bundle: m.lastGoodBundle))
                }
            } else {
                r.members[i].status = .released
                r.released += 1
                r.unresolvedInWave += 1
                s.targets[m.server] = m.bundle
                release.append(.init(server: m.server, bundle: m.bundle))
            }
        }
        r.state = .verifying
        r.waveReleasedAt = now
        r.bakeUntil = nil
        if !release.isEmpty { out.append(.release(service: r.service, rollout: r.id, wave: r.wave + 1, targets: release)) }
        if !back.isEmpty {
            out.append(.sendBack(service: r.service, rollout: r.id, targets: back, reason: "offline: skipped in this rollout"))
        }
    }

    func isOffline(_ server: String, after: Duration) -> Bool {
        guard let t = lastHeard[server] else { return true }
        return now - t > after.milliseconds
    }

    func succeed(_ r: inout Rollout, _ s: inout Service, _ out: inout [RolloutDecision]) {
        if r.healthy == 0, !r.members.isEmpty, r.offline == r.members.count {
            // No server was released: a revision nobody verified must not become the last good one
            // (it would then reach every server as they come back). Hold; `tide release` runs it again.
            let reason =
                "rollout \(r.id) of \(short(r.revision)) reached no server: all \(r.members.count) were offline when their wave came, so nothing was verified and \(short(r.revision)) is not marked good; once agents are back, `tide release \(r.service) \(short(r.revision))` rolls it out again"
            r.state = .held
            r.endedAt = now
            s.hold = Hold(cause: .unverified, revision: r.revision, reason: reason, at: now)
            s.heldRevision = NewRevision(
                service: r.service, revision: r.revision, lastGoodRevision: r.lastGoodRevision,
                placements: r.members.map {
                    NewRevision.Placement(server: $0.server, bundle: $0.bundle, lastGoodBundle: $0.lastGoodBundle)
                }, commits: r.commits, kind: r.kind, policy: r.policy)
            out.append(.hold(service: r.service, rollout: r.id, revision: r.revision, reason: reason))
            out.append(.notify(service: r.service, rollout: r.id, .held, message: reason))
            return
        }
        r.state = .succeeded
        r.endedAt = now
        var good: [RolloutDecision.Target] = []
        for m in r.members {
            good.append(.init(server: m.server, bundle: m.bundle))
            s.lastGood[m.server] = m.bundle
            if m.status == .offline { s.catchUp[m.server] = CatchUp(bundle: m.bundle, rollout: r.id) }
        }
        s.lastGoodRevision = r.revision
        out.append(.markGood(service: r.service, revision: r.revision, targets: good))
        out.append(
            .notify(
                service: r.service, rollout: r.id, .succeeded,
                message:
                    "rollout \(r.id) of \(short(r.revision)) succeeded: \(r.healthy) healthy, \(r.failed) failed, \(r.timedOut) timed out, \(r.offline) offline"
            ))
    }

    // MARK: failures

    func checkBreach(_ r: inout Rollout, _ s: inout Service, _ out: inout [RolloutDecision]) {
        guard !r.breached, r.policy.maxFailures.isBreached(failures: r.failures, released: r.released) else { return }
        r.breached = true
        r.breachWave = r.wave
        let failures = r.members.filter { $0.status == .failed || $0.status == .timedOut }
            .map { RevertRequest.Failure(server: $0.server, reason: $0.reason ?? $0.status.rawValue) }
        let summary = failures.map { "\($0.server): \($0.reason)" }.joined(separator: "; ")
        out.append(
            .notify(
                service: r.service, rollout: r.id, .breached,
                message:
                    "rollout \(r.id) of \(short(r.revision)) breached maxFailures \(r.policy.maxFailures) in wave \(r.wave + 1): \(r.failed) failed, \(r.timedOut) timed out of \(r.released) released (\(summary))"
            ))
        let lastGoods = Set(r.members.map(\.lastGoodBundle))
        for m in r.members where !lastGoods.contains(m.bundle) && s.quarantine[m.bundle] == nil {
            s.quarantine[m.bundle] = Quarantined(
                bundle: m.bundle, rollout: r.id, revision: r.revision, reason: summary)
        }
        if r.kind.isRevert {
            holdAndSendBack(
                &r, &s, cause: .revertBreached,
                reason: "the rollout of revert \(short(r.revision)) breached; not reverting again: a person must act (\(summary))",
                &out)
        } else if r.policy.onFailure == .pause {
            r.paused = true
            out.append(.notify(service: r.service, rollout: r.id, .paused, message: "rollout \(r.id) paused after breach"))
        } else if r.commits.isEmpty {
            holdAndSendBack(
                &r, &s, cause: .nothingToRevert,
                reason: "rollout \(r.id) breached and there is no commit to revert: a person must act", &out)
        } else {
            r.state = .reverting
            out.append(
                .startRevert(
                    RevertRequest(
                        service: r.service, rollout: r.id, revision: r.revision, wave: r.wave + 1, commits: r.commits,
                        failures: failures)))
            out.append(
                .notify(
                    service: r.service, rollout: r.id, .reverting,
                    message: "reverting \(r.commits.count) commit(s) after rollout \(r.id) breached"))
        }
    }

    /// Ends `r` as held: the service is held and every released server goes back to its last good bundle.
    func holdAndSendBack(
        _ r: inout Rollout, _ s: inout Service, cause: Hold.Cause, reason: String, _ out: inout [RolloutDecision]
    ) {
        r.state = .held
        r.endedAt = now
        sendBack(&r, &s, reason: reason, &out)
        s.hold = Hold(cause: cause, revision: r.revision, reason: reason, at: now)
        out.append(.hold(service: r.service, rollout: r.id, revision: r.revision, reason: reason))
        out.append(.notify(service: r.service, rollout: r.id, .held, message: reason))
    }

    func sendBack(_ r: inout Rollout, _ s: inout Service, reason: String, _ out: inout [RolloutDecision]) {
        var back: [RolloutDecision.Target] = []
        for m in r.members where m.status != .waiting && m.status != .offline {
            guard s.targets[m.server] != m.lastGoodBundle else { continue }
            s.targets[m.server] = m.lastGoodBundle
            back.append(.init(server: m.server, bundle: m.lastGoodBundle))
        }
        if !back.isEmpty { out.append(.sendBack(service: r.service, rollout: r.id, targets: back, reason: reason)) }
    }

    // MARK: commands and reverts

    mutating func command(service: String, _ command: RolloutEvent.Command, _ out: inout [RolloutDecision]) {
        if case .release(let revision) = command {
            guard let s = services[service], s.hold?.cause == .quarantined || s.hold?.cause == .unverified,
                let held = s.heldRevision,
                held.revision == revision || held.revision.hasPrefix(revision)
            else { return }
            newRevision(held, operatorReleased: true, &out)
            return
        }
        guard var (r, s) = running(service) else { return }
        defer { put(r, s) }
        do {
            switch command {
            case .pause:
                guard !r.paused, r.state != .reverting else { return }
                r.paused = true
                out.append(.notify(service: service, rollout: r.id, .paused, message: "rollout \(r.id) paused"))
            case .resume:
                guard r.paused, !r.breached, s.hold == nil else { return }
                r.paused = false
                out.append(.notify(service: service, rollout: r.id, .resumed, message: "rollout \(r.id) resumed"))
                advance(&r, &s, &out)
            case .promote:
                if r.state == .baking { r.bakeUntil = now }
                if r.state == .verifying { r.promotedWave = r.wave }
                advance(&r, &s, &out)
            case .abort:
                r.state = .aborted
                r.endedAt = now
                sendBack(&r, &s, reason: "rollout \(r.id) aborted", &out)
                out.append(.notify(service: service, rollout: r.id, .aborted, message: "rollout \(r.id) aborted"))
            case .release:
                return
            }
        }
    }

    mutating func revertOutcome(
        service: String, rollout: String, _ outcome: RolloutEvent.RevertOutcome, _ out: inout [RolloutDecision]
    ) {
        guard var (r, s) = running(service) else { return }
        defer { put(r, s) }
        do {
            guard r.id == rollout, r.state == .reverting else { return }
            switch outcome {
            case .pushed(let head):
                r.state = .reverted
                r.endedAt = now
                out.append(
                    .notify(
                        service: service, rollout: r.id, .reverted,
                        message: "reverted \(r.commits.count) commit(s) of rollout \(r.id); branch head now \(short(head))"))
            case .conflicted(let detail):
                holdAndSendBack(
                    &r, &s, cause: .revertFailed,
                    reason: "the revert for rollout \(r.id) conflicts: \(detail); a person must act", &out)
            case .pushFailed(let detail):
                holdAndSendBack(
                    &r, &s, cause: .revertFailed,
                    reason: "the revert for rollout \(r.id) could not be pushed: \(detail); a person must act", &out)
            }
        }
    }
}

func short(_ sha: String) -> String { String(sha.prefix(12)) }
