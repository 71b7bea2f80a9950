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
        // The second answer came from the cache: two bundles, encoded once each.
        #expect(encoder.cached.bundles == 2)
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
