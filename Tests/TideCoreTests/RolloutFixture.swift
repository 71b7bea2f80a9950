import TideCore

/// A small fleet driven through a `RolloutEngine`, with helpers that read like the rules.
struct RolloutFixture {
    var engine = RolloutEngine()
    var servers: [String]
    var service = "web"
    var now: Int64 = 1_000_000
    var log: [RolloutDecision] = []

    init(_ count: Int) {
        servers = (0..<count).map { "s\($0)" }
        for s in servers { _ = engine.handle(.heard(server: s, at: now)) }
    }

    static func policy(
        waves: [WaveSize] = [.percent(1), .percent(50), .percent(100)], bake: Int = 60, timeout: Int = 300,
        maxFailures: FailureThreshold = .count(0), onFailure: RolloutPolicy.OnFailure = .revert
    ) -> RolloutPolicy {
        RolloutPolicy(
            waves: waves, bake: .seconds(bake), waveTimeout: .seconds(timeout), maxFailures: maxFailures,
            onFailure: onFailure)
    }

    func revision(
        _ sha: String, bundle: String, lastGood: String = "B0", policy: RolloutPolicy, kind: NewRevision.Kind = .change,
        retry: Bool = false, only: [String]? = nil
    ) -> NewRevision {
        NewRevision(
            service: service, revision: sha, lastGoodRevision: "good",
            placements: (only ?? servers).map { .init(server: $0, bundle: bundle, lastGoodBundle: lastGood) },
            commits: [sha], kind: kind, policy: policy, retry: retry)
    }

    @discardableResult
    mutating func send(_ event: RolloutEvent) -> [RolloutDecision] {
        let out = engine.handle(event)
        log += out
        return out
    }

    @discardableResult
    mutating func start(_ rev: NewRevision) -> [RolloutDecision] { send(.revision(rev, at: now)) }

    @discardableResult
    mutating func report(_ server: String, _ phase: AgentProtocol.Phase, bundle: String? = nil) -> [RolloutDecision] {
        let b = bundle ?? engine.target(service: service, server: server) ?? "?"
        return send(.report(server: server, service: service, bundle: b, phase: phase, detail: nil, at: now))
    }

    /// Every server of the current wave that is released reports healthy.
    @discardableResult
    mutating func waveHealthy() -> [RolloutDecision] {
        var out: [RolloutDecision] = []
        for m in rollout.members where m.status == .released { out += report(m.server, .healthy) }
        return out
    }

    @discardableResult
    mutating func advance(seconds: Int) -> [RolloutDecision] {
        now += Int64(seconds) * 1000
        return send(.tick(at: now))
    }

    /// Keeps every server heard from at the current time.
    mutating func poll(_ names: [String]? = nil) {
        for s in names ?? servers { send(.heard(server: s, at: now)) }
    }

    @discardableResult
    mutating func command(_ c: RolloutEvent.Command) -> [RolloutDecision] { send(.command(service: service, c, at: now)) }

    var rollout: Rollout { engine.currentRollout(service: service)! }

    static func released(_ decisions: [RolloutDecision]) -> [String] {
        decisions.flatMap { d -> [String] in
            if case .release(_, _, _, let t) = d { return t.map(\.server) }
            return []
        }
    }

    static func sentBack(_ decisions: [RolloutDecision]) -> [String] {
        decisions.flatMap { d -> [String] in
            if case .sendBack(_, _, let t, _) = d { return t.map(\.server) }
            return []
        }
    }

    static func reverts(_ decisions: [RolloutDecision]) -> [RevertRequest] {
        decisions.compactMap { d in
            if case .startRevert(let r) = d { return r }
            return nil
        }
    }

    static func holds(_ decisions: [RolloutDecision]) -> [String] {
        decisions.compactMap { d in
            if case .hold(_, _, _, let reason) = d { return reason }
            return nil
        }
    }

    static func notices(_ decisions: [RolloutDecision]) -> [RolloutDecision.Notice] {
        decisions.compactMap { d in
            if case .notify(_, _, let n, _) = d { return n }
            return nil
        }
    }
}
