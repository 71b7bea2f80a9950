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
        #expect(split?.0 == nil)
        #expect(split?.1 == 42)
        #expect(split.map { String(decoding: $0.2, as: UTF8.self) } == #","services":[]}"#)
        #expect(DesiredCache.split(body, server: "web-10") == nil, "another server's body is not taken for this one")
        #expect(DesiredCache.split(Array(#"{"server":"web-1","index":1}"#.utf8), server: "web-1") == nil)
        // The controller's asked heartbeat comes first (sorted keys) and is read, not part of the key.
        let withHeartbeat = Array(#"{"heartbeatSeconds":200,"index":7,"server":"web-1","services":[]}"#.utf8)
        let second = DesiredCache.split(withHeartbeat, server: "web-1")
        #expect(second?.0 == 200)
        #expect(second?.1 == 7)
        #expect(second.map { String(decoding: $0.2, as: UTF8.self) } == #","services":[]}"#)
        #expect(DesiredCache.split(Array(#"{"heartbeatSeconds":x,"index":7,"server":"web-1"}"#.utf8), server: "web-1") == nil)
    }

    @Test func desiredBodiesAreScannedAndEachBundleDecodedOnce() throws {
        let files = (0..<5).map { BundleFile(target: "/etc/app/part-\($0).conf", mode: 0o644, blob: String(repeating: "a", count: 64), size: 9) }
        // A reload that looks like an id key and has escapes must not confuse the scan.
        let app = TideCore.Bundle(
            service: "app", files: files, reload: #"echo "\"id\":\"x\"" \\ done"#, health: HealthCheck(probe: .command("true")))
        func state(_ server: String, own: Int) -> AgentProtocol.DesiredState {
            let host = TideCore.Bundle(
                service: "base", files: files + [BundleFile(target: "/etc/host", mode: 0o600, blob: String(format: "%064x", own), size: 3)],
                reload: nil, health: nil)
            return AgentProtocol.DesiredState(
                index: UInt64(own), server: server,
                services: [
                    AgentProtocol.DesiredService(service: "app", revision: "r1", bundle: app),
                    AgentProtocol.DesiredService(service: "base", revision: "r2", bundle: host),
                    AgentProtocol.DesiredService(service: "gone", revision: "r3", bundle: .empty(service: "gone")),
                ], heartbeatSeconds: own == 1 ? 200 : nil)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let recorder = StatsRecorder(agents: 3, sink: { _ in })
        let cache = DesiredCache(recorder: recorder)
        for (n, server) in ["web-1", "web-2", "web-3"].enumerated() {
            let want = state(server, own: n + 1)
            let got = try cache.decode(Array(try encoder.encode(want)), server: server)
            #expect(got.index == want.index)
            #expect(got.services == want.services)
            #expect(got.heartbeatSeconds == want.heartbeatSeconds)
        }
        #expect(cache.cachedBundles == 2 + 3, "app and the empty bundle once, one base bundle per server")
        // The same bundles again: no decode at all.
        let before = recorder.snapshot().desiredDecoded
        _ = try cache.decode(Array(try encoder.encode(state("web-1", own: 1))), server: "web-1")
        #expect(recorder.snapshot().desiredDecoded == before)
        // Another shape (keys not sorted): decoded in full, still right.
        let odd = Array(#"{"server":"web-9","index":5,"services":[]}"#.utf8)
        #expect(try cache.decode(odd, server: "web-9").index == 5)
        #expect(throws: LoadgenError.self) { try cache.decode(odd, server: "web-8") }
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
