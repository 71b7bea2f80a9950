import Foundation
import Testing
import TideCore

@testable import TideController

@Suite struct DesiredStateEncoderTests {
    static func state(server: String = "web-01") -> AgentProtocol.DesiredState {
        let files = (0..<3).map {
            BundleFile(target: "/etc/app/part-\($0).conf", mode: 0o644, owner: $0 == 0 ? "root" : nil, blob: String(repeating: "a", count: 64), size: 10)
        }
        let web = TideCore.Bundle(
            service: "web", files: files, reload: "systemctl reload \"app\"\n",
            health: HealthCheck(probe: .command("check-web --fast")))
        return AgentProtocol.DesiredState(
            index: 42, server: server,
            services: [
                AgentProtocol.DesiredService(service: "web", revision: String(repeating: "3", count: 40), bundle: web),
                AgentProtocol.DesiredService(service: "db", revision: "r2", bundle: .empty(service: "db")),
            ])
    }

    @Test func encodesWhatJSONEncoderEncodesAndDecodesBack() throws {
        let encoder = DesiredStateEncoder()
        let reference = JSONEncoder()
        reference.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for server in ["web-01", "we\"ird\\name\u{1}"] {
            let state = Self.state(server: server)
            let body = try encoder.encode(state)
            #expect(try JSONDecoder().decode(AgentProtocol.DesiredState.self, from: Data(body)) == state)
            if server == "web-01" { #expect(body == Array(try reference.encode(state))) }
        }
        // The second answer came from the cache: two bundles, encoded once each, and web's 3 files.
        #expect(encoder.cached.bundles == 2)
        #expect(encoder.cached.files == 3)
        // With the controller's asked heartbeat (first key when sorted), still what JSONEncoder writes.
        var paced = Self.state()
        paced.heartbeatSeconds = 200
        let body = try encoder.encode(paced)
        #expect(body == Array(try reference.encode(paced)))
        #expect(try JSONDecoder().decode(AgentProtocol.DesiredState.self, from: Data(body)) == paced)
    }

    @Test func bundlesOutsideTheCacheShareTheirFilesFragments() throws {
        // No room for whole bundles: 50 per-server bundles, 20 shared files and one own file each.
        let encoder = DesiredStateEncoder(limit: 0)
        let reference = JSONEncoder()
        reference.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let shared = (0..<20).map {
            BundleFile(target: "/etc/app/shared-\($0).conf", mode: 0o644, blob: String(repeating: "c", count: 64), size: 300)
        }
        for i in 0..<50 {
            let own = BundleFile(target: "/etc/app/host.conf", mode: 0o600, group: "app", blob: String(format: "%064x", i), size: 20)
            let bundle = TideCore.Bundle(service: "app", files: shared + [own], reload: nil, health: nil)
            let state = AgentProtocol.DesiredState(
                index: UInt64(i), server: "srv-\(i)",
                services: [AgentProtocol.DesiredService(service: "app", revision: "r", bundle: bundle)])
            #expect(try encoder.encode(state) == Array(try reference.encode(state)))
        }
        #expect(encoder.cached.bundles == 0)
        #expect(encoder.cached.files == 20 + 50, "each distinct file encoded once")
    }

    @Test func aFullCacheTakesNoMoreAndStillAnswersRight() throws {
        let encoder = DesiredStateEncoder(limit: 600)
        for i in 0..<20 {
            var state = Self.state(server: "web-\(i)")
            state.services[0].bundle = TideCore.Bundle(
                service: "web", files: [BundleFile(target: "/etc/host-\(i)", mode: 0o600, blob: String(repeating: "b", count: 64), size: i)],
                reload: nil, health: nil)
            let body = try encoder.encode(state)
            #expect(try JSONDecoder().decode(AgentProtocol.DesiredState.self, from: Data(body)) == state)
        }
        #expect(encoder.cached.bytes <= 600)
    }
}
