import Foundation
import Testing
import TideCore
import TideTestSupport

extension E2E {
    /// A bad commit breaches on the canary and Tide reverts it in Git by itself.
    @Suite(.serialized) struct AutoRevertTests {
        @Test func badCommitIsRevertedInGitAndNeverLeavesTheCanaryWave() async throws {
            let fleet = try E2EFleet()
            defer { fleet.stop() }
            try await fleet.start()
            let good = try fleet.work.head()

            _ = try fleet.work.write("services/web/files/site.conf", "listen 80;\nworkers 4;\nBROKEN directive;\n")
            let bad = try fleet.work.commit("web: tune workers (broken)")
            try fleet.work.push()
            let pushedAt = ContinuousClock.now

            // The remote branch gains exactly one revert commit, with Tide's trailers.
            var revertSHA = ""
            try await eventually("Tide's revert commit on the remote", timeout: .seconds(60)) {
                let log = try fleet.remoteLog()
                guard let revert = log.first(where: { $0.message.contains("This reverts commit \(bad).") }) else { return false }
                revertSHA = revert.sha
                return true
            }
            print("breach to revert on the remote: \(ContinuousClock.now - pushedAt) after the push")
            let log = try fleet.remoteLog()
            let reverts = log.filter { $0.message.contains("This reverts commit") }
            #expect(reverts.count == 1)
            let message = reverts[0].message
            #expect(message.hasPrefix("Revert \"web: tune workers (broken)\""))
            #expect(message.contains("Tide-Rollout: web-"))
            #expect(message.contains("Tide-Wave: 1"))
            #expect(message.contains("Tide-Failed: web-1: "))
            #expect(log.first?.sha == revertSHA)

            // The revert rolls out and every web server ends on the good file.
            try await fleet.waitForRollout("web", revision: revertSHA)
            try await eventually("every web server on the good config") {
                E2EFleet.webServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == "listen 80;\nworkers 4;\nkeepalive 30;\n" }
            }
            // No server outside the first wave (the canary) ever held the bad bundle.
            let held = E2EFleet.allServers.filter { server in fleet.history(server).contains { $0.revision == bad } }
            #expect(held == ["web-1"])
            // Still exactly one revert, and the audit log explains the automatic actions.
            #expect(try fleet.remoteLog().filter { $0.message.contains("This reverts commit") }.count == 1)
            let audit = try await fleet.audit()
            #expect(audit.contains { $0.action.contains("revert") && $0.service == "web" })
            _ = good
        }
    }
}
