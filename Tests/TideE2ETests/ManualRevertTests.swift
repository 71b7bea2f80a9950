import Foundation
import Testing
import TideCore
import TideTestSupport

extension E2E {
    /// A `git revert` made and pushed by a person rolls out with the rollback policy: one wave.
    @Suite(.serialized) struct ManualRevertTests {
        @Test func handMadeRevertRollsOutInOneWave() async throws {
            let fleet = try E2EFleet()
            defer { fleet.stop() }
            try await fleet.start()

            _ = try fleet.work.write("services/web/files/site.conf", "listen 80;\nworkers 8;\nkeepalive 30;\n")
            let change = try fleet.work.commit("web: 8 workers")
            try fleet.work.push()
            let forward = try await fleet.waitForRollout("web", revision: change)
            #expect(forward.state == .succeeded)
            #expect(forward.kind == .change)
            #expect(forward.waves == 3)

            _ = try fleet.work.git("revert --no-edit \(change)")
            let revert = try fleet.work.head()
            try fleet.work.push()
            let rollout = try await fleet.waitForRollout("web", revision: revert)
            #expect(rollout.kind == .manualRevert)
            #expect(rollout.state == .succeeded)
            #expect(rollout.waves == 1)
            #expect(rollout.servers == 7)
            let detail = try await fleet.rollout(rollout.id)
            #expect(detail.lines.allSatisfy { $0.wave == 1 })
            #expect(E2EFleet.webServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == "listen 80;\nworkers 4;\nkeepalive 30;\n" })
            // A person's revert is theirs: Tide adds no revert of its own.
            #expect(try fleet.remoteReverts().count == 1)
            #expect(try fleet.remoteLog().first?.sha == revert)
        }
    }
}
