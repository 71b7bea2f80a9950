import Foundation
import Testing
import TideCore
import TideTestSupport

extension E2E {
    /// The controller restarted (SIGTERM) in the middle of a rollout picks it up and finishes it.
    @Suite(.serialized) struct ControllerRestartTests {
        @Test func rolloutContinuesAcrossAControllerRestart() async throws {
            let fleet = try E2EFleet()
            defer { fleet.stop() }
            try await fleet.start()

            // Each wave bakes 4 s, so the restart falls in the middle.
            _ = try fleet.work.write(
                "services/web/service.yaml",
                try fleet.work.read("services/web/service.yaml").replacingOccurrences(
                    of: "  spreadBy: zone\n", with: "  spreadBy: zone\n  bake: 4s\n"))
            _ = try fleet.work.write("services/web/files/site.conf", "listen 80;\nworkers 8;\nkeepalive 30;\n")
            let change = try fleet.work.commit("web: 8 workers")
            try fleet.work.push()
            var id = ""
            try await eventually("wave 2 of the rollout released") {
                guard let r = try await fleet.service("web")?.rollout, r.revision == change else { return false }
                id = r.id
                return r.wave >= 2 && !r.state.isTerminal
            }

            let status = fleet.controller!.terminate()
            #expect(status == 0)
            let heldDuringRestart = E2EFleet.webServers.filter { s in fleet.history(s).contains { $0.revision == change } }
            #expect(heldDuringRestart.count < 7)
            try fleet.startController()

            let rollout = try await fleet.waitForRollout("web", revision: change)
            #expect(rollout.id == id)
            #expect(rollout.state == .succeeded)
            #expect(rollout.waves == 3)
            for server in E2EFleet.webServers {
                #expect(fleet.file(server, "/etc/site/site.conf") == "listen 80;\nworkers 8;\nkeepalive 30;\n")
                // No server applied the change's bundle twice.
                let applies = fleet.history(server).filter { $0.revision == change }
                #expect(applies.count == 1, "\(server) applied \(change.prefix(7)) \(applies.count) times")
                #expect(Set(fleet.history(server).map(\.bundle)).count == fleet.history(server).count, "\(server) re-applied a bundle")
            }
        }
    }
}
