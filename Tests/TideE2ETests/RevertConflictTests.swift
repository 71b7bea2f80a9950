import Foundation
import Testing
import TideCore
import TideTestSupport

extension E2E {
    /// Tide's revert conflicts with a commit that reached the branch before Tide could push: nothing is
    /// pushed, the service is held and its servers are back on the good bundle.
    @Suite(.serialized) struct RevertConflictTests {
        @Test func conflictingRevertPushesNothingAndHoldsTheService() async throws {
            let fleet = try E2EFleet(files: ["services/web/CHANGES": "2026-12-01 baseline\n"])
            defer { fleet.stop() }
            try await fleet.start()
            let good = "listen 80;\nworkers 4;\nkeepalive 30;\n"
            let goodBundle = try #require(fleet.history("web-1").last?.bundle)

            // The bad commit changes the deployed file and the service's change log.
            _ = try fleet.work.write("services/web/files/site.conf", "listen 80;\nworkers 4;\nBROKEN directive;\n")
            _ = try fleet.work.write("services/web/CHANGES", "2026-12-03 keepalive replaced\n")
            let bad = try fleet.work.commit("web: replace keepalive (broken)")
            // A colleague's commit on top rewrites the same line of the change log; it reaches the branch
            // between Tide's fetch and its push (the race hook), so the revert of `bad` must go onto it.
            _ = try fleet.work.write("services/web/CHANGES", "2026-12-03 keepalive replaced (reviewed by Sam)\n")
            let later = try fleet.work.commit("web: note the review", author: "Sam Other <sam@example.com>")
            try fleet.armPushRace(movingMainTo: later)
            _ = try fleet.work.git("push -q origin \(bad):refs/heads/main")

            // Tide tried to push (the hook fired), the revert conflicted, the service is held.
            let held = try await fleet.waitForHold("web")
            try await eventually("the race hook to have fired") { !fleet.raceLog.isEmpty }
            let audit = try await fleet.audit()
            let conflict = try #require(audit.first { $0.action == "revert-conflicted" && $0.service == "web" })
            #expect(conflict.detail.contains("CHANGES"), "\(conflict.detail)")
            #expect(audit.contains { $0.action == "hold" && $0.service == "web" && $0.detail.contains("conflicts") })
            let rollout = try await fleet.waitForRollout("web", revision: bad)
            #expect(rollout.state == .held)
            #expect(rollout.failed == 1)  // (the stored rollout list does not keep `breached`)

            // Every web server is (back) on the good files; only the canary ever held the bad bundle.
            try await eventually("every web server on the good config") {
                E2EFleet.webServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == good }
                    && fleet.history("web-1").last?.bundle == goodBundle
            }
            #expect(E2EFleet.allServers.filter { s in fleet.history(s).contains { $0.revision == bad } } == ["web-1"])

            // No commit was pushed by Tide: the branch is the colleague's commit, and stays so; the service
            // stays held (the colleague's head still carries the quarantined bundle).
            let clock = ContinuousClock()
            let until = clock.now + .seconds(3)
            while clock.now < until {
                #expect(try fleet.remoteLog().first?.sha == later)
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(try fleet.remoteReverts().isEmpty)
            #expect(try await fleet.service("web")?.held != nil)
            #expect(E2EFleet.webServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == good })
            print("held: \(held)")
        }

        /// The same with the conflict in the bad file itself: a colleague's later commit rewrote the broken
        /// line. Tide pushes nothing and holds; the colleague's commit (a new bundle, not quarantined) is a
        /// person acting, and rolls out.
        @Test func revertConflictingInTheBadFileIsHeldUntilAPersonsCommit() async throws {
            let fleet = try E2EFleet()
            defer { fleet.stop() }
            try await fleet.start()

            _ = try fleet.work.write("services/web/files/site.conf", "listen 80;\nworkers 4;\nBROKEN directive;\n")
            let bad = try fleet.work.commit("web: replace keepalive (broken)")
            let fixed = "listen 80;\nworkers 4;\nkeepalive 60;\n"
            _ = try fleet.work.write("services/web/files/site.conf", fixed)
            let later = try fleet.work.commit("web: keepalive 60", author: "Sam Other <sam@example.com>")
            try fleet.armPushRace(movingMainTo: later)
            _ = try fleet.work.git("push -q origin \(bad):refs/heads/main")

            try await eventually("the revert to conflict") {
                try await fleet.audit().contains { $0.action == "revert-conflicted" && $0.service == "web" }
            }
            #expect(!fleet.raceLog.isEmpty)
            let audit = try await fleet.audit()
            let conflict = try #require(audit.first { $0.action == "revert-conflicted" })
            #expect(conflict.detail.contains("services/web/files/site.conf"), "\(conflict.detail)")
            #expect(audit.contains { $0.action == "hold" && $0.service == "web" && $0.detail.contains("conflicts") })
            #expect(try await fleet.waitForRollout("web", revision: bad).state == .held)

            // The colleague's fix rolls out; Tide never pushed anything.
            let rollout = try await fleet.waitForRollout("web", revision: later)
            #expect(rollout.state == .succeeded)
            #expect(E2EFleet.webServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == fixed })
            #expect(try fleet.remoteReverts().isEmpty)
            #expect(try fleet.remoteLog().first?.sha == later)
            #expect(E2EFleet.allServers.filter { s in fleet.history(s).contains { $0.revision == bad } } == ["web-1"])
        }
    }
}
