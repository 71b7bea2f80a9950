import Foundation
import Testing
import TideCore
import TideTestSupport

@testable import TideLoadgen

/// Failure injection, `--disk`, the milestones and the desired-state decode cache, against the
/// stand-in controller (a real libmicrohttpd server on 127.0.0.1).
@Suite struct FailureInjectionTests {
    func simulator(_ controller: MiniController, _ count: Int, _ change: (inout FleetSimulatorOptions) -> Void) throws -> FleetSimulator {
        var o = FleetSimulatorOptions(controller: controller.url, servers: (1...count).map { "app-\($0)" }, token: "t")
        o.wait = .seconds(2)
        o.heartbeat = .seconds(0)
        o.retryMax = .milliseconds(300)
        o.duration = .seconds(60)
        o.reportConnections = 4
        change(&o)
        return try FleetSimulator(o)
    }

    @Test func onlyMatchingServersFailAMarkedBundleAndFilesLandOnDisk() async throws {
        let controller = try MiniController(token: "t")
        let dir = try TempDirectory("tide-loadgen-disk")
        let events = EventLog()
        let sim = try simulator(controller, 12) {
            $0.failMarker = "BROKEN"
            $0.failServers = "app-1*"
            $0.disk = dir.path
            $0.onEvent = { events.append($0) }
        }
        let good = String(repeating: "1", count: 40)
        controller.publish("good\n", revision: good)
        sim.start()
        #expect(await sim.waitUntil(service: "app", revision: good, phase: .healthy, count: 12, timeout: .seconds(20)) != nil)
        #expect(try String(contentsOfFile: dir("app-7/etc/app.conf"), encoding: .utf8) == "good\n")

        let bad = String(repeating: "b", count: 40)
        controller.publish("BROKEN\n", revision: bad)
        // app-1, app-10, app-11, app-12 match the glob; the other 8 stay healthy on the marked bundle.
        #expect(await sim.waitUntil(service: "app", revision: bad, phase: .unhealthy, count: 4, timeout: .seconds(20)) != nil)
        #expect(await sim.waitUntil(service: "app", revision: bad, phase: .healthy, count: 8, timeout: .seconds(20)) != nil)
        let progress = try #require(sim.stats().progress(service: "app", revision: bad))
        #expect(progress.unhealthy == 4 && progress.healthy == 8)
        try await eventually("the controller heard unhealthy from app-1") {
            controller.reports.contains { $0.phase == .unhealthy && $0.revision == bad }
        }
        #expect(try String(contentsOfFile: dir("app-12/etc/app.conf"), encoding: .utf8) == "BROKEN\n")
        #expect(!FileManager.default.fileExists(atPath: dir("app-12/etc/.app.conf.tide-new")))

        // Milestones: the first and the last of each phase.
        let seen = events.all.filter { $0.revision == good && $0.event == .healthy }
        #expect(seen.first?.count == 1)
        #expect(seen.last?.count == 12 && seen.last?.of == 12)
        // Every agent's desired state decoded once per distinct content, not once per agent.
        #expect(sim.stats().desiredDecoded <= 4)
        await sim.stop()
        await controller.stop()
    }

    @Test func aRevisionPrefixFailsEveryServer() async throws {
        let controller = try MiniController(token: "t")
        let sim = try simulator(controller, 5) { $0.failRevision = "dead" }
        controller.publish("fine\n", revision: "dead" + String(repeating: "0", count: 36))
        sim.start()
        #expect(await sim.waitUntil(service: "app", revision: "dead", phase: .unhealthy, count: 5, timeout: .seconds(20)) != nil)
        #expect(sim.stats().progress(service: "app", revision: "dead")?.healthy == 0)
        // Each simulated server polls from its own loopback address, as a real fleet does.
        #expect(controller.pollAddresses == ["127.1.0.1", "127.1.0.2", "127.1.0.3", "127.1.0.4", "127.1.0.5"])
        await sim.stop()
        await controller.stop()
    }

    @Test func desiredBodiesSplitIntoIndexAndSharedRest() {
        let body = Array(#"{"index":42,"server":"web-1","services":[]}"#.utf8)
        let split = DesiredCache.split(body, server: "web-1")
        #expect(split?.0 == 42)
        #expect(split.map { String(decoding: $0.1, as: UTF8.self) } == #","services":[]}"#)
        #expect(DesiredCache.split(body, server: "web-10") == nil, "another server's body is not taken for this one")
        #expect(DesiredCache.split(Array(#"{"server":"web-1","index":1}"#.utf8), server: "web-1") == nil)
    }
}

/// Collects events from the simulator's thread.
final class EventLog: @unchecked Sendable {
    // Safe: under `lock`.
    private let lock = NSLock()
    private var events: [FleetEvent] = []
    func append(_ e: FleetEvent) { lock.withLock { events.append(e) } }
    var all: [FleetEvent] { lock.withLock { events } }
}
