import Foundation
import Testing
import TideCore
import TideTestSupport

extension E2E {
    /// Reverting Tide's revert by hand brings back a quarantined bundle: held until `tide release`.
    @Suite(.serialized) struct QuarantineTests {
        @Test func revertOfTideRevertIsHeldUntilReleased() async throws {
            // 16 workers need a bigger box: the health check fails unless the server has one.
            let service = E2EFleet.baseline["services/web/service.yaml"]!.replacingOccurrences(
                of: #"command: '! grep -q BROKEN "$TIDE_ROOT/etc/site/site.conf" && test ! -e "$TIDE_ROOT/sick"'"#,
                with: #"command: '! grep -q "workers 16" "$TIDE_ROOT/etc/site/site.conf" || test -e "$TIDE_ROOT/big-box"'"#)
            #expect(service.contains("big-box"))
            let fleet = try E2EFleet(files: ["services/web/service.yaml": service])
            defer { fleet.stop() }
            try await fleet.start()
            let sixteen = "listen 80;\nworkers 16;\nkeepalive 30;\n"

            _ = try fleet.work.write("services/web/files/site.conf", sixteen)
            let bad = try fleet.work.commit("web: 16 workers")
            try fleet.work.push()
            var revertSHA = ""
            try await eventually("Tide's revert commit on the remote") {
                guard let r = try fleet.remoteReverts().first else { return false }
                revertSHA = r.sha
                return true
            }
            try await fleet.waitForRollout("web", revision: revertSHA)
            let badBundle = try #require(fleet.history("web-1").first { $0.revision == bad }?.bundle)

            // The boxes are upgraded; a person reverts Tide's revert to bring 16 workers back.
            for server in E2EFleet.webServers {
                try Data("yes\n".utf8).write(to: URL(fileURLWithPath: fleet.dir("agents/\(server)/root/big-box")))
            }
            try fleet.work.pull()
            _ = try fleet.work.git("revert --no-edit \(revertSHA)")
            let again = try fleet.work.head()
            try fleet.work.push()

            let held = try await fleet.waitForHold("web", containing: "quarantined")
            #expect(held.contains(String(again.prefix(12))))
            // Held, not rolled out: a while later no server got the quarantined bundle again.
            let clock = ContinuousClock()
            let until = clock.now + .seconds(3)
            while clock.now < until {
                let holders = E2EFleet.allServers.filter { s in fleet.history(s).contains { $0.bundle == badBundle } }
                #expect(holders == ["web-1"])
                #expect(fleet.history("web-1").filter { $0.bundle == badBundle }.count == 1)
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(E2EFleet.webServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == "listen 80;\nworkers 4;\nkeepalive 30;\n" })
            #expect(try await fleet.service("web")?.held != nil)

            // A viewer cannot release; the on-call operator can, with the real CLI.
            let refused = try await fleet.post(
                "/api/v1/services/web/release", body: Array(#"{"revision":"\#(again)"}"#.utf8), token: fleet.viewerToken)
            #expect(refused.status == 403)
            let release = try fleet.tide("release web \(again.prefix(10))")
            #expect(release.status == 0, "\(release.stdout) \(release.stderr)")
            let rollout = try await fleet.waitForRollout("web", revision: again)
            #expect(rollout.state == .succeeded)
            #expect(E2EFleet.webServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == sixteen })
            #expect(try await fleet.service("web")?.held == nil)
            #expect(try fleet.remoteReverts().count == 2)  // Tide's and the person's; Tide made no other
            let audit = try await fleet.audit()
            #expect(audit.contains { $0.actor == "oncall" && $0.action.contains("release") && $0.service == "web" })
        }
    }
}
