import Foundation
import Testing
import TideCore
import TideTestSupport

extension E2E {
    /// The remote unreachable for a while changes nothing on any server; once back, new commits roll out.
    @Suite(.serialized) struct RemoteOutageTests {
        @Test func unreachableRemoteChangesNothingAndRecovers() async throws {
            let fleet = try E2EFleet()
            defer { fleet.stop() }
            try await fleet.start()
            let before = E2EFleet.allServers.map { fleet.history($0).count }

            fleet.stopRemote()
            // While the daemon is down, a commit reaches the bare repository on disk: the controller must not
            // see it, and must not change anything on any server because it cannot fetch.
            _ = try fleet.work.write("services/web/files/site.conf", "listen 80;\nworkers 8;\nkeepalive 30;\n")
            let change = try fleet.work.commit("web: 8 workers")
            _ = try fleet.work.git("push -q \(Shell.quote(fleet.remotePath)) HEAD:refs/heads/main")
            var fetchError = ""
            try await eventually("the fetch error in the status") {
                fetchError = try await fleet.status().fetchError ?? ""
                return !fetchError.isEmpty
            }
            print("fetch error shown: \(fetchError)")
            let clock = ContinuousClock()
            let until = clock.now + .seconds(3)
            while clock.now < until {
                #expect(E2EFleet.allServers.map { fleet.history($0).count } == before)
                #expect(try await fleet.status().fetchError != nil)
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(E2EFleet.webServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == "listen 80;\nworkers 4;\nkeepalive 30;\n" })
            #expect(try await fleet.service("web")?.rollout?.state == .succeeded)

            // The daemon is back on the same port: the fetch recovers and the commit rolls out.
            try fleet.restartRemote()
            let rollout = try await fleet.waitForRollout("web", revision: change)
            #expect(rollout.state == .succeeded)
            #expect(try await fleet.status().fetchError == nil)
            #expect(E2EFleet.webServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == "listen 80;\nworkers 8;\nkeepalive 30;\n" })
            #expect(E2EFleet.dbServers.map { fleet.history($0).count } == Array(before.suffix(3)))
        }
    }
}
