import Foundation
import Testing
import TideCore
import TideTestSupport

extension E2E {
    /// Someone pushes between Tide's fetch and its push: Tide's revert lands on top of their commit.
    @Suite(.serialized) struct PushRaceTests {
        @Test func revertLandsOnTopOfACommitPushedDuringTheRace() async throws {
            let fleet = try E2EFleet()
            defer { fleet.stop() }
            try await fleet.start()

            _ = try fleet.work.write("services/web/files/site.conf", "listen 80;\nworkers 4;\nBROKEN directive;\n")
            let bad = try fleet.work.commit("web: tune workers (broken)")
            _ = try fleet.work.write("services/db/files/db.conf", "max_connections = 200\n")
            let theirs = try fleet.work.commit("db: 200 connections", author: "Sam Other <sam@example.com>")
            try fleet.armPushRace(movingMainTo: theirs)
            _ = try fleet.work.git("push -q origin \(bad):refs/heads/main")

            var revertSHA = ""
            try await eventually("Tide's revert commit on the remote") {
                guard let r = try fleet.remoteReverts().first else { return false }
                revertSHA = r.sha
                return true
            }
            #expect(!fleet.raceLog.isEmpty, "the race hook never fired: Tide's first push was not raced")
            // The revert's parent is their commit, which is kept; the bad one is below it.
            let parent = try Shell.check("git --git-dir=\(Shell.quote(fleet.remotePath)) rev-parse \(revertSHA)^")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(parent == theirs)
            #expect(try fleet.remoteLog().map(\.sha).prefix(3) == [revertSHA, theirs, bad])
            #expect(try fleet.remoteReverts().count == 1)
            let audit = try await fleet.audit()
            #expect(audit.filter { $0.action == "revert-pushed" && $0.service == "web" }.count == 1)

            // Both land: web back to the good file, db gets their change.
            try await fleet.waitForRollout("web", revision: revertSHA)
            try await eventually("web good and db at 200 connections") {
                E2EFleet.webServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == "listen 80;\nworkers 4;\nkeepalive 30;\n" }
                    && E2EFleet.dbServers.allSatisfy { fleet.file($0, "/etc/db/db.conf") == "max_connections = 200\n" }
            }
            #expect(E2EFleet.allServers.filter { s in fleet.history(s).contains { $0.revision == bad } } == ["web-1"])
        }
    }
}
