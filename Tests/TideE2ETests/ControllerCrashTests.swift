import Foundation
import Testing
import TideCore
import TideTestSupport

extension E2E {
    /// The controller dies (SIGKILL) while reverting; after a restart the remote has exactly one revert.
    @Suite(.serialized) struct ControllerCrashTests {
        /// Pushes a bad web commit, kills the controller at the moment `killWhen` says, restarts it, and
        /// checks that exactly one revert exists and every web server ends on the good file.
        func killWhileReverting(_ killWhen: (E2EFleet) async throws -> Void) async throws {
            let fleet = try E2EFleet()
            defer { fleet.stop() }
            try await fleet.start()

            _ = try fleet.work.write("services/web/files/site.conf", "listen 80;\nworkers 4;\nBROKEN directive;\n")
            let bad = try fleet.work.commit("web: tune workers (broken)")
            try fleet.work.push()
            try await killWhen(fleet)
            fleet.controller?.kill()
            let revertsAtKill = try fleet.remoteReverts().count
            print("reverts on the remote when the controller was killed: \(revertsAtKill)")
            try fleet.startController()

            var revertSHA = ""
            try await eventually("a revert commit on the remote after the restart") {
                guard let r = try fleet.remoteReverts().first else { return false }
                revertSHA = r.sha
                return true
            }
            try await fleet.waitForRollout("web", revision: revertSHA)
            try await eventually("every web server on the good config") {
                E2EFleet.webServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == "listen 80;\nworkers 4;\nkeepalive 30;\n" }
            }
            // Exactly one revert, of the bad commit, with Tide's trailers; nothing else on top.
            let reverts = try fleet.remoteReverts()
            #expect(reverts.count == 1)
            #expect(reverts.first?.message.contains("This reverts commit \(bad).") == true)
            #expect(reverts.first?.message.contains("Tide-Rollout: web-") == true)
            #expect(try fleet.remoteLog().map(\.sha).prefix(2) == [revertSHA, bad])
            #expect(E2EFleet.allServers.filter { s in fleet.history(s).contains { $0.revision == bad } } == ["web-1"])
            #expect(try await fleet.service("web")?.held == nil)
        }

        @Test func killedAsTheBreachIsLogged() async throws {
            try await killWhileReverting { fleet in try await fleet.waitForControllerLog("rollout.breached") }
        }

        @Test func killedRightAfterTheRevertLands() async throws {
            try await killWhileReverting { fleet in
                try await eventually("the revert on the remote", every: .milliseconds(10)) { try !fleet.remoteReverts().isEmpty }
            }
        }
    }
}
