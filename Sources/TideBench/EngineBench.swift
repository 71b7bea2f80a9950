import Foundation
import TideCore
import TideStore

/// The engine section of `make bench`: the rollout engine's decision rate over a 10,000-server rollout, and
/// the store's write rate for agent reports, with `synchronous=NORMAL` and `FULL` (WAL) side by side.
enum EngineBench {
    static func run() async throws {
        try engineRate(servers: 10_000)
        try storeRate(reports: 3_000, seconds: 5)
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    /// One whole rollout: every server polls, the revision arrives, each released server reports healthy,
    /// ticks end the bakes. Counts events handled and server targets decided.
    @discardableResult
    static func engineRate(servers count: Int) throws -> (eventsPerSecond: Double, releasesPerSecond: Double) {
        let servers = (0..<count).map { "server-\($0)" }
        let policy = RolloutPolicy(waves: [.count(1), .percent(10), .percent(50), .percent(100)], bake: .seconds(60))
        var engine = RolloutEngine()
        var now: Int64 = 1_700_000_000_000
        var events = 0
        var decisions = 0
        var targets = 0
        func feed(_ e: RolloutEvent) {
            let out = engine.handle(e)
            events += 1
            decisions += out.count
            for d in out {
                if case .release(_, _, _, let t) = d { targets += t.count }
            }
        }
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for s in servers { feed(.heard(server: s, at: now)) }
            feed(
                .revision(
                    NewRevision(
                        service: "web", revision: "r1",
                        placements: servers.map { .init(server: $0, bundle: "B1", lastGoodBundle: "B0") },
                        commits: ["r1"], policy: policy), at: now))
            for _ in 0..<10 {
                guard let r = engine.currentRollout(service: "web"), !r.state.isTerminal else { break }
                for m in r.members where m.status == .released {
                    feed(.report(server: m.server, service: "web", bundle: "B1", phase: .healthy, detail: nil, at: now))
                }
                now += 61_000
                // Agents long-poll all the time: each is heard from before the next wave's release.
                for s in servers { feed(.heard(server: s, at: now)) }
                feed(.tick(at: now))
            }
        }
        let r = engine.currentRollout(service: "web")
        let state = "\(r?.state.rawValue ?? "none"), \(r?.healthy ?? 0) healthy, \(r?.offline ?? 0) offline"
        let s = seconds(elapsed)
        print(
            String(
                format: "engine: rollout over %d servers (%@): %d events in %.3f s = %.0f events/s, %d decisions, %.0f server releases/s",
                count, state, events, s, Double(events) / s, decisions, Double(targets) / s))
        return (Double(events) / s, Double(targets) / s)
    }

    /// Agent reports recorded one transaction each (event + observation + rollout row), as the controller does.
    static func storeRate(reports limit: Int, seconds budget: Double) throws {
        var rates: [(Durability, Double, Int)] = []
        for durability in [Durability.normal, .full] {
            let dir = NSTemporaryDirectory() + "tide-bench-store-\(UUID().uuidString.prefix(8))"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let store = try StateStore(directory: dir, durability: durability, snapshotEvery: 1_000_000)
            var engine = RolloutEngine()
            let servers = (0..<1000).map { "server-\($0)" }
            let now: Int64 = 1_700_000_000_000
            for s in servers { _ = engine.handle(.heard(server: s, at: now)) }
            let rev = RolloutEvent.revision(
                NewRevision(
                    service: "web", revision: "r1",
                    placements: servers.map { .init(server: $0, bundle: "B1", lastGoodBundle: "B0") },
                    policy: RolloutPolicy(waves: [.percent(100)], maxFailures: .percent(100))), at: now)
            try store.record(rev, engine: engine, decisions: engine.handle(rev))
            let clock = ContinuousClock()
            let start = clock.now
            var n = 0
            while n < limit, seconds(clock.now - start) < budget {
                let e = RolloutEvent.report(
                    server: servers[n % servers.count], service: "web", bundle: "B1",
                    phase: n % 2 == 0 ? .applied : .healthy, detail: nil, at: now + Int64(n))
                let out = engine.handle(e)
                try store.record(e, engine: engine, decisions: out)
                n += 1
            }
            rates.append((durability, Double(n) / seconds(clock.now - start), n))
        }
        for (d, rate, n) in rates {
            print(
                String(
                    format: "store: %.0f reports/s with synchronous=%@ (WAL), one transaction per report (%d reports)",
                    rate, d == .full ? "FULL" : "NORMAL", n))
        }
        if rates.count == 2, rates[1].1 > 0 {
            print(String(format: "store: NORMAL/FULL = %.1fx", rates[0].1 / rates[1].1))
        }
    }
}
