import Foundation
import Testing
import TideCore
import TideTestSupport

extension E2E {
    /// A service deleted from the repo: its files leave its servers; other services are untouched.
    @Suite(.serialized) struct DeletedServiceTests {
        @Test func deletedServiceFilesLeaveItsServers() async throws {
            let fleet = try E2EFleet()
            defer { fleet.stop() }
            try await fleet.start()
            #expect(E2EFleet.dbServers.allSatisfy { fleet.exists($0, "/etc/db/db.conf") })
            for server in E2EFleet.dbServers {
                try Data("mine\n".utf8).write(to: URL(fileURLWithPath: fleet.dir("agents/\(server)/root/etc/db/local.conf")))
            }
            let dbBefore = E2EFleet.dbServers.map { fleet.history($0).count }
            let webBefore = E2EFleet.webServers.map { fleet.history($0).count }

            _ = try fleet.work.git("rm -q -r services/db")
            let deletion = try fleet.work.commit("db: retire the service")
            try fleet.work.push()

            try await eventually("db.conf gone from every db server") {
                E2EFleet.dbServers.allSatisfy { !fleet.exists($0, "/etc/db/db.conf") }
                    // (the history line is appended after the files change)
                    && E2EFleet.dbServers.map { fleet.history($0).count } == dbBefore.map { $0 + 1 }
            }
            for server in E2EFleet.dbServers {
                #expect(fleet.file(server, "/etc/db/local.conf") == "mine\n")
            }
            #expect(E2EFleet.dbServers.map { fleet.history($0).count } == dbBefore.map { $0 + 1 })
            #expect(E2EFleet.webServers.map { fleet.history($0).count } == webBefore)
            _ = deletion
            #expect(E2EFleet.webServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == "listen 80;\nworkers 4;\nkeepalive 30;\n" })
        }
    }
}
