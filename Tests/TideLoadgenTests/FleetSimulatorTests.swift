import Foundation
import Testing
import TideCore
import TideLoadgen
import TideTestSupport

/// The simulator against a real `tide controller`: rollouts go through all waves, a marked commit
/// breaches and is reverted, a controller restart is survived.
@Suite struct FleetSimulatorTests {
    func options(_ fleet: LoadgenFleet) -> FleetSimulatorOptions {
        var o = FleetSimulatorOptions(controller: fleet.url, servers: fleet.servers, token: fleet.agentToken)
        o.wait = .seconds(5)
        o.heartbeat = .seconds(2)
        o.retryMax = .milliseconds(500)
        o.duration = .seconds(120)
        o.reportConnections = 8
        return o
    }

    @Test func twoHundredAgentsTakeEveryRevision() async throws {
        let fleet = try LoadgenFleet(count: 200)
        try fleet.startController()
        try await fleet.waitForInventory()
        let events = EventLog()
        var o = options(fleet)
        o.onEvent = { events.append($0) }
        let sim = try FleetSimulator(o)
        sim.start()
        let first = await sim.waitUntil(service: "web", revision: fleet.baseline, phase: .healthy, count: 200, timeout: .seconds(60))
        #expect(first != nil, "all 200 healthy on the baseline: \(sim.stats())")
        #expect(sim.stats().answered == 200)
        #expect(sim.stats().waiting >= 190)

        let second = try fleet.commitSite("listen 8080;\nworkers 8;\n", message: "web: listen on 8080")
        let took = await sim.waitUntil(service: "web", revision: second, phase: .healthy, count: 200, timeout: .seconds(60))
        #expect(took != nil, "all 200 healthy on the second commit: \(String(describing: sim.stats().progress(service: "web", revision: second)))")
        #expect(sim.holding(service: "web", revision: second) == 200)
        #expect(sim.holding(service: "web", revision: fleet.baseline) == 0)
        // The controller agrees: the rollout of the second commit succeeded on every server.
        try await eventually("the controller's rollout of \(second.prefix(7)) succeeded") {
            let web = try await fleet.status().services.first { $0.service == "web" }
            return web?.rollout?.revision == second && web?.rollout?.state == .succeeded && web?.healthy == 200
        }
        let stats = sim.stats()
        // Waves: the canary was told first, alone.
        let progress = try #require(stats.progress(service: "web", revision: second))
        #expect(progress.told == 200 && progress.applied == 200 && progress.unhealthy == 0)
        #expect(stats.blobsFetched == 3, "two baseline blobs and one new site.conf, each fetched once")
        #expect(stats.responses["5xx"] == nil && stats.responses["4xx"] == nil, "\(stats.statuses) \(stats.problems)")
        #expect(stats.connectionErrors == 0)
        #expect(stats.connects <= 200 + 8 + 20, "keep-alive: about one connection per agent plus the pool, got \(stats.connects)")
        #expect(stats.desiredCacheHits > stats.desiredDecoded)
        #expect(stats.reportLatencyP99Ms != nil)
        #expect(sim.instant(service: "web", revision: second, phase: .told, count: 1)! <= sim.instant(service: "web", revision: second, phase: .told, count: 2)!)
        // Milestones of the second commit: the first server, each further tenth, the last; not one per server.
        let healthy = events.all.filter { $0.revision == second && $0.event == .healthy }
        #expect(healthy.first?.count == 1 && healthy.last?.count == 200 && healthy.last?.of == 200)
        #expect(healthy.count >= 3 && healthy.count <= 12, "\(healthy.map(\.count))")
        await sim.stop()
        #expect(!sim.isRunning)
    }

    @Test func markedCommitBreachesAtTheCanaryAndIsReverted() async throws {
        let fleet = try LoadgenFleet(count: 30)
        try fleet.startController()
        try await fleet.waitForInventory()
        var o = options(fleet)
        o.failMarker = "BROKEN"
        let sim = try FleetSimulator(o)
        sim.start()
        #expect(await sim.waitUntil(service: "web", revision: fleet.baseline, phase: .healthy, count: 30, timeout: .seconds(60)) != nil)

        let bad = try fleet.commitSite("listen 80;\n# BROKEN\n", message: "web: a bad change")
        #expect(await sim.waitUntil(service: "web", revision: bad, phase: .unhealthy, count: 1, timeout: .seconds(60)) != nil)
        try await eventually("a revert of \(bad.prefix(7)) on the remote") {
            try fleet.remoteMessages().contains { $0.contains("This reverts commit \(bad)") }
        }
        // Every server back on the good content: none holds the bad revision, all hold a web bundle.
        try await eventually("no server on the bad revision") {
            let s = sim.stats()
            let onBad = sim.holding(service: "web", revision: bad)
            let total = s.revisions.filter { $0.service == "web" }.reduce(0) { $0 + $1.holding }
            return onBad == 0 && total == 30
        }
        let progress = try #require(sim.stats().progress(service: "web", revision: bad))
        #expect(progress.told == 1, "only the canary was told the bad revision")
        #expect(progress.unhealthy == 1 && progress.healthy == 0)
        await sim.stop()
    }

    @Test func agentsSurviveAControllerRestart() async throws {
        let fleet = try LoadgenFleet(count: 20)
        try fleet.startController()
        try await fleet.waitForInventory()
        let sim = try FleetSimulator(options(fleet))
        sim.start()
        #expect(await sim.waitUntil(service: "web", revision: fleet.baseline, phase: .healthy, count: 20, timeout: .seconds(60)) != nil)
        fleet.stopController()
        try await eventually("agents notice the controller is gone") { sim.stats().connectionErrors > 0 }
        try fleet.startController()
        let next = try fleet.commitSite("listen 81;\n", message: "web: port 81 after a restart")
        #expect(await sim.waitUntil(service: "web", revision: next, phase: .healthy, count: 20, timeout: .seconds(60)) != nil)
        try await eventually("every long poll held again") { sim.stats().waiting == 20 }
        await sim.stop()
    }
}
