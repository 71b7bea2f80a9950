import Foundation
import Testing
import TideCore
import TideTestSupport

extension E2E {
    /// Pausing a rollout needs an operator token; a viewer's is refused, and the audit names who paused.
    @Suite(.serialized) struct OperatorTokenTests {
        @Test func viewerCannotPauseOperatorCanAndIsAudited() async throws {
            let fleet = try E2EFleet()
            defer { fleet.stop() }
            try await fleet.start()

            // A slow rollout: each wave bakes a minute, so it is still running when paused.
            _ = try fleet.work.write(
                "services/web/service.yaml",
                try fleet.work.read("services/web/service.yaml").replacingOccurrences(
                    of: "  spreadBy: zone\n", with: "  spreadBy: zone\n  bake: 60s\n"))
            _ = try fleet.work.write("services/web/files/site.conf", "listen 80;\nworkers 8;\nkeepalive 30;\n")
            let change = try fleet.work.commit("web: 8 workers, slow rollout")
            try fleet.work.push()
            var id = ""
            try await eventually("the slow rollout baking its first wave") {
                guard let r = try await fleet.service("web")?.rollout, r.revision == change else { return false }
                id = r.id
                return r.state == .baking
            }

            let viewer = try await fleet.post("/api/v1/rollouts/\(id)/pause", token: fleet.viewerToken)
            #expect(viewer.status == 403)
            let stranger = try await fleet.post("/api/v1/rollouts/\(id)/pause", token: "not-a-token")
            #expect(stranger.status == 401)
            #expect(try await fleet.rollout(id).state == .baking)
            #expect(try await fleet.audit().allSatisfy { $0.action != "pause" })

            let oncall = try await fleet.post("/api/v1/rollouts/\(id)/pause", token: fleet.operatorToken)
            #expect(oncall.status == 200, "\(String(decoding: oncall.body, as: UTF8.self))")
            #expect(try await fleet.rollout(id).state == .paused)
            let pause = try #require(try await fleet.audit().first { $0.action == "pause" })
            #expect(pause.actor == "oncall")
            #expect(pause.service == "web")
            // Paused means no second wave: only the canary has the change.
            #expect(E2EFleet.webServers.filter { s in fleet.history(s).contains { $0.revision == change } } == ["web-1"])
        }
    }
}
