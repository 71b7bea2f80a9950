import Foundation
import Testing
import TideCore
import TideTestSupport

extension E2E {
    /// A change pushed to the config repo reaches exactly its service's servers, wave by wave.
    @Suite(.serialized) struct ReleaseTests {
        @Test func changeReachesItsServersInWavesAndOthersAreUntouched() async throws {
            let fleet = try E2EFleet()
            defer { fleet.stop() }
            try await fleet.start()
            // An unmanaged file beside the managed ones must survive everything.
            for server in E2EFleet.webServers {
                try Data("mine\n".utf8).write(to: URL(fileURLWithPath: fleet.dir("agents/\(server)/root/etc/site/local.conf")))
            }
            let dbBefore = E2EFleet.dbServers.map { fleet.history($0).count }

            _ = try fleet.work.write("services/web/files/site.conf", "listen 80;\nworkers 8;\nkeepalive 30;\n")
            try fleet.work.remove("services/web/files/extra.conf")
            _ = try fleet.work.write(
                "services/web/service.yaml",
                try fleet.work.read("services/web/service.yaml").replacingOccurrences(
                    of: "  - source: files/extra.conf\n    target: /etc/site/extra.conf\n", with: ""))
            let change = try fleet.work.commit("web: 8 workers, drop extra.conf")
            try fleet.work.push()

            let rollout = try await fleet.waitForRollout("web", revision: change)
            #expect(rollout.state == .succeeded)
            #expect(rollout.servers == 7)
            #expect(rollout.waves == 3)
            let detail = try await fleet.rollout(rollout.id)
            // Canary first, alone in wave 1; waves 2 and 3 follow the plan (1, 50%=4, 100%=7).
            #expect(detail.lines.first?.server == "web-1")
            #expect(detail.lines.filter { $0.wave == 1 }.count == 1)
            #expect(detail.lines.filter { $0.wave == 2 }.count == 3)
            #expect(detail.lines.filter { $0.wave == 3 }.count == 3)

            // Every web server holds the new file, extra.conf is gone, the unmanaged file stays.
            for server in E2EFleet.webServers {
                #expect(fleet.file(server, "/etc/site/site.conf") == "listen 80;\nworkers 8;\nkeepalive 30;\n")
                #expect(!fleet.exists(server, "/etc/site/extra.conf"))
                #expect(fleet.file(server, "/etc/site/local.conf") == "mine\n")
            }
            // The servers applied the change in wave order: each wave's first apply is after the previous wave's last.
            var appliedAt: [String: String] = [:]
            for server in E2EFleet.webServers {
                appliedAt[server] = fleet.history(server).last { $0.revision == change }?.time
            }
            for line in detail.lines {
                for earlier in detail.lines where earlier.wave < line.wave {
                    #expect(appliedAt[earlier.server]! <= appliedAt[line.server]!, "\(earlier.server) before \(line.server)")
                }
            }
            // db servers never saw anything new.
            #expect(E2EFleet.dbServers.map { fleet.history($0).count } == dbBefore)
            #expect(!E2EFleet.dbServers.contains { fleet.history($0).contains { $0.revision == change } })
        }
    }
}
