import Foundation
import Testing

@testable import TideCore

/// Thousands of random event sequences checked against the invariants of issue 4 item 3.
@Suite struct RolloutEnginePropertyTests {
    static let services = ["web", "db"]
    static let bundles = ["B0", "B1", "B2", "B3"]

    /// A random, but seeded, sequence of events over a small fleet.
    static func events(seed: UInt64, count: Int) -> [RolloutEvent] {
        var rng = SeededRandom(seed: seed)
        let servers = (0..<Int.random(in: 1...12, using: &rng)).map { "s\($0)" }
        var now: Int64 = 1_000_000
        var out: [RolloutEvent] = servers.map { .heard(server: $0, at: now) }
        var revisionNumber = 0
        var rolloutIDs: [String] = []
        for _ in 0..<count {
            let service = services.randomElement(using: &rng)!
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<8:
                revisionNumber += 1
                let waves: [WaveSize] = [
                    [.count(1), .percent(50), .percent(100)], [.percent(100)], [.percent(1), .percent(50)],
                    [.count(2), .count(3), .percent(60)],
                ].randomElement(using: &rng)!
                let maxFailures: FailureThreshold = [.count(0), .count(1), .percent(10), .percent(50)]
                    .randomElement(using: &rng)!
                let policy = RolloutPolicy(
                    waves: waves, bake: .seconds(Int64.random(in: 0...60, using: &rng)),
                    waveTimeout: .seconds(Int64.random(in: 30...300, using: &rng)), maxFailures: maxFailures,
                    offlineAfter: .seconds(60), onFailure: Bool.random(using: &rng) ? .revert : .pause)
                let placements = servers.map {
                    NewRevision.Placement(
                        server: $0, bundle: bundles.randomElement(using: &rng)!, lastGoodBundle: "B0")
                }
                let kind: NewRevision.Kind = [.change, .change, .change, .tideRevert, .manualRevert]
                    .randomElement(using: &rng)!
                out.append(
                    .revision(
                        NewRevision(
                            service: service, revision: "rev\(revisionNumber)", placements: placements,
                            commits: Bool.random(using: &rng) ? ["rev\(revisionNumber)"] : [], kind: kind,
                            policy: policy, retry: Int.random(in: 0..<4, using: &rng) == 0), at: now))
                rolloutIDs += services.map { "\($0)-\(revisionNumber)" }
            case 8..<55:
                let phase = AgentProtocol.Phase.allCases.randomElement(using: &rng)!
                out.append(
                    .report(
                        server: servers.randomElement(using: &rng)!, service: service,
                        bundle: bundles.randomElement(using: &rng)!, phase: phase, detail: nil, at: now))
            case 55..<70:
                out.append(.heard(server: servers.randomElement(using: &rng)!, at: now))
            case 70..<88:
                now += Int64.random(in: 0...90_000, using: &rng)
                out.append(.tick(at: now))
            case 88..<96:
                let command: RolloutEvent.Command = [.pause, .resume, .promote, .abort, .release(revision: "rev\(revisionNumber)")]
                    .randomElement(using: &rng)!
                out.append(.command(service: service, command, at: now))
            default:
                let outcome: RolloutEvent.RevertOutcome = [
                    .pushed(head: "h"), .conflicted(detail: "c"), .pushFailed(detail: "p"),
                ].randomElement(using: &rng)!
                // Outcomes for a plausible rollout id (ids are "<service>-<n>").
                let n = Int.random(in: 1...max(1, revisionNumber * 2), using: &rng)
                out.append(.revertOutcome(service: service, rollout: "\(service)-\(n)", outcome, at: now))
            }
        }
        return out
    }

    /// How much a run exercised, so a generator that never reaches a breach cannot pass unnoticed.
    struct Coverage { var releases = 0, breaches = 0, terminal = 0, reverts = 0, holds = 0 }

    /// Checks one run against the invariants.
    static func check(seed: UInt64, events: [RolloutEvent], _ coverage: inout Coverage) {
        var engine = RolloutEngine()
        var breached: Set<String> = []
        var released: [String: Set<String>] = [:]
        var terminal: [String: Rollout] = [:]
        var failedBy: [String: Set<String>] = [:]
        for (step, event) in events.enumerated() {
            let where_ = "seed \(seed) step \(step)"
            let out = engine.handle(event)
            for d in out {
                if case .startRevert = d { coverage.reverts += 1 }
                if case .hold = d { coverage.holds += 1 }
                if case .release(_, let id, let wave, let targets) = d, wave > 0 {
                    coverage.releases += targets.count
                    #expect(!breached.contains(id), "released after breach: \(where_)")
                    for t in targets {
                        #expect(!released[id, default: []].contains(t.server), "released twice: \(where_)")
                        released[id, default: []].insert(t.server)
                    }
                }
            }
            for service in services {
                guard let r = engine.currentRollout(service: service) else { continue }
                if r.breached, !breached.contains(r.id) {
                    breached.insert(r.id)
                    coverage.breaches += 1
                }
                // Released servers never exceed the current wave's target.
                let touched = r.members.filter { $0.status != .waiting }.count
                let target = r.wave >= 0 ? r.waveEnds[r.wave] : 0
                #expect(touched == target, "wave target: \(where_)")
                #expect(released[r.id, default: []].count <= target, "over target: \(where_)")
                // Counted once: the counters are exactly the statuses.
                #expect(r.failed == r.members.filter { $0.status == .failed }.count, "failed count: \(where_)")
                #expect(r.timedOut == r.members.filter { $0.status == .timedOut }.count, "timeout count: \(where_)")
                #expect(r.healthy == r.members.filter { $0.status == .healthy }.count, "healthy count: \(where_)")
                #expect(r.offline == r.members.filter { $0.status == .offline }.count, "offline count: \(where_)")
                let failedNow = Set(r.members.filter { $0.status == .failed || $0.status == .timedOut }.map(\.server))
                #expect(failedBy[r.id, default: []].isSubset(of: failedNow), "failure undone: \(where_)")
                failedBy[r.id] = failedNow
                if r.breached != r.policy.maxFailures.isBreached(failures: r.failures, released: r.released) {
                    #expect(r.breached, "breach missed: \(where_)")
                }
                if r.state.isTerminal, terminal[r.id] == nil {
                    terminal[r.id] = r
                    coverage.terminal += 1
                }
            }
            // A terminal rollout never changes again.
            for (id, snapshot) in terminal {
                if let now = engine.rollout(id: id) { #expect(now == snapshot, "terminal rollout changed: \(where_)") }
            }
        }
    }

    @Test func invariantsHoldOverThousandsOfRandomSequences() {
        var coverage = Coverage()
        for seed in UInt64(1)...2000 {
            Self.check(seed: seed, events: Self.events(seed: seed, count: 60), &coverage)
        }
        #expect(coverage.releases > 2000 && coverage.breaches > 200 && coverage.terminal > 500)
        #expect(coverage.reverts > 50 && coverage.holds > 50)
        print("property coverage: \(coverage)")
    }

    @Test func theSameInputsGiveTheSameDecisions() throws {
        for seed in UInt64(5000)..<5200 {
            let events = Self.events(seed: seed, count: 80)
            var a = RolloutEngine()
            var b = RolloutEngine()
            let split = events.count / 2
            var outA: [[RolloutDecision]] = []
            var outB: [[RolloutDecision]] = []
            for e in events[..<split] {
                outA.append(a.handle(e))
                outB.append(b.handle(e))
            }
            // b goes through JSON halfway, as if the controller restarted from the store.
            b = try JSONDecoder().decode(RolloutEngine.self, from: JSONEncoder().encode(b))
            for e in events[split...] {
                outA.append(a.handle(e))
                outB.append(b.handle(e))
            }
            #expect(outA == outB, "seed \(seed)")
            #expect(a == b, "seed \(seed)")
        }
    }
}
