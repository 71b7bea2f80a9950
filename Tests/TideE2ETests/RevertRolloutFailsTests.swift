import Foundation
import Testing
import TideCore
import TideTestSupport

extension E2E {
    /// The rollout of Tide's own revert fails too: Tide does not revert again, it holds the service.
    @Suite(.serialized) struct RevertRolloutFailsTests {
        @Test func failingRevertRolloutIsNotRevertedAgain() async throws {
            let fleet = try E2EFleet()
            defer { fleet.stop() }
            try await fleet.start()

            // The canary is broken in a way no commit fixes (a server-side problem); the bad commit breaches
            // on it, and so will the revert's rollout.
            try fleet.setSick("web-1")
            _ = try fleet.work.write("services/web/files/site.conf", "listen 80;\nworkers 4;\nBROKEN directive;\n")
            let bad = try fleet.work.commit("web: tune workers (broken)")
            try fleet.work.push()

            var revertSHA = ""
            try await eventually("Tide's revert commit on the remote") {
                guard let r = try fleet.remoteReverts().first else { return false }
                revertSHA = r.sha
                return true
            }
            let revertRollout = try await fleet.waitForRollout("web", revision: revertSHA)
            #expect(revertRollout.kind == .tideRevert)
            #expect(revertRollout.state == .held)
            let held = try await fleet.waitForHold("web", containing: "revertBreached")
            #expect(held.contains("not reverting again"))

            // Still exactly one revert a while later, on top of the bad commit; nothing else was pushed.
            let clock = ContinuousClock()
            let until = clock.now + .seconds(4)
            while clock.now < until {
                #expect(try fleet.remoteReverts().count == 1)
                try await Task.sleep(for: .milliseconds(300))
            }
            let log = try fleet.remoteLog()
            #expect(log.map(\.sha).prefix(2) == [revertSHA, bad])
            // The bad bundle stayed on the canary's wave; the audit says why nothing more happens.
            #expect(E2EFleet.allServers.filter { s in fleet.history(s).contains { $0.revision == bad } } == ["web-1"])
            let audit = try await fleet.audit()
            #expect(audit.filter { $0.action == "revert-pushed" && $0.service == "web" }.count == 1)
            #expect(audit.contains { $0.action == "hold" && $0.service == "web" && $0.detail.contains("not reverting again") })
        }
    }
}
