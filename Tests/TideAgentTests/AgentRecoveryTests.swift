import Foundation
import TideCore
import TideTestSupport
import Testing

@Suite struct AgentRecoveryTests {
    @Test func killedBetweenWritingAndRenamingLeavesTheOldFileWhole() async throws {
        let dir = try TempDirectory("agent-kill")
        let controller = try ControllerStandIn()
        let v1 = Fixture.service("app", revision: "r1", files: [Fixture.file("/etc/app/a.conf", "old content\n")], reload: reloadCommand)
        controller.setDesired("web-01", [v1], blobs: [Array("old content\n".utf8)])
        let first = try AgentProcess(controller: controller.url, name: "web-01", dir: dir)
        try await eventually(timeout: .seconds(20), "v1 healthy\n\(first.log)") { controller.lastPhase("web-01", "app") == .healthy }
        try await first.terminate()

        let newText = String(repeating: "new content\n", count: 5000)
        let v2 = Fixture.service("app", revision: "r2", files: [Fixture.file("/etc/app/a.conf", newText)], reload: reloadCommand)
        controller.setDesired("web-01", [v2], blobs: [Array(newText.utf8)])
        let pause = dir("pause")
        let paused = try AgentProcess(
            controller: controller.url, name: "web-01", dir: dir, environment: ["TIDE_AGENT_TEST_PAUSE_BEFORE_RENAME": pause])
        try await eventually(timeout: .seconds(20), "agent paused before renaming\n\(paused.log)") {
            FileManager.default.fileExists(atPath: pause + ".waiting")
        }
        // The new content is fully written beside the target, not yet renamed.
        #expect(Fixture.read(dir("root/etc/app/.a.conf.tide-new")) == newText)
        try await paused.kill9()
        #expect(Fixture.read(dir("root/etc/app/a.conf")) == "old content\n")
        #expect(Fixture.lines(dir("root/reloads")) == 1)

        // The next start cleans up and applies the change once.
        let last = try AgentProcess(controller: controller.url, name: "web-01", dir: dir)
        try await eventually(timeout: .seconds(20), "v2 applied\n\(last.log)") { Fixture.read(dir("root/etc/app/a.conf")) == newText }
        try await eventually(timeout: .seconds(20), "v2 healthy") {
            controller.reports("web-01", "app").last.map { $0.bundle == v2.bundle.id && $0.phase == .healthy } ?? false
        }
        #expect(Fixture.lines(dir("root/reloads")) == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir("root/etc/app")) == ["a.conf"])
        try await last.terminate()
    }

    @Test func restartedAgentReportsWhatItHoldsWithoutReloadingAndContinues() async throws {
        let dir = try TempDirectory("agent-restart")
        let controller = try ControllerStandIn()
        let v1 = Fixture.service("app", revision: "r1", files: [Fixture.file("/etc/app/a.conf", "a1\n")], reload: reloadCommand)
        controller.setDesired("web-01", [v1], blobs: [Array("a1\n".utf8)])
        let first = try AgentProcess(controller: controller.url, name: "web-01", dir: dir)
        try await eventually(timeout: .seconds(20), "v1 healthy\n\(first.log)") { controller.lastPhase("web-01", "app") == .healthy }
        #expect(try await first.terminate() == 0)
        let before = controller.reports("web-01", "app").count

        let second = try AgentProcess(controller: controller.url, name: "web-01", dir: dir)
        try await eventually(timeout: .seconds(20), "restart report\n\(second.log)") {
            controller.reports("web-01", "app").dropFirst(before).contains { $0.bundle == v1.bundle.id && $0.phase == .applied }
        }
        // Let it see the same desired state for a few checks: no reload, no re-apply.
        try await eventually(timeout: .seconds(20), "heartbeat after restart") {
            controller.reports("web-01", "app").dropFirst(before).filter { $0.phase == .healthy }.count >= 2
        }
        #expect(Fixture.lines(dir("root/reloads")) == 1)
        #expect(!controller.reports("web-01", "app").dropFirst(before).contains { $0.phase == .applying })

        // The rollout moves on: the restarted agent applies the next bundle.
        let v2 = Fixture.service("app", revision: "r2", files: [Fixture.file("/etc/app/a.conf", "a2\n")], reload: reloadCommand)
        controller.setDesired("web-01", [v2], blobs: [Array("a2\n".utf8)])
        try await eventually(timeout: .seconds(20), "v2 applied\n\(second.log)") { Fixture.read(dir("root/etc/app/a.conf")) == "a2\n" }
        try await eventually(timeout: .seconds(20), "second reload") { Fixture.lines(dir("root/reloads")) == 2 }
        try await second.terminate()
    }

    @Test func keepsWorkingWhileTheControllerIsAwayAndCatchesUp() async throws {
        let dir = try TempDirectory("agent-away")
        let controller = try ControllerStandIn()
        let v1 = Fixture.service("app", revision: "r1", files: [Fixture.file("/etc/app/a.conf", "a1\n")])
        controller.setDesired("web-01", [v1], blobs: [Array("a1\n".utf8)])
        let agent = try AgentProcess(controller: controller.url, name: "web-01", dir: dir)
        try await eventually(timeout: .seconds(20), "v1 healthy\n\(agent.log)") { controller.lastPhase("web-01", "app") == .healthy }

        await controller.stop()
        try await eventually(timeout: .seconds(20), "agent notices\n\(agent.log)") { agent.log.contains("controller.unreachable") }
        // Files stay as they were while the controller is away, and the agent keeps running.
        #expect(Fixture.read(dir("root/etc/app/a.conf")) == "a1\n")
        #expect(agent.process.isRunning)

        let v2 = Fixture.service("app", revision: "r2", files: [Fixture.file("/etc/app/a.conf", "a2\n")])
        controller.setDesired("web-01", [v2], blobs: [Array("a2\n".utf8)])
        try controller.start()
        try await eventually(timeout: .seconds(20), "v2 after the controller is back\n\(agent.log)") {
            Fixture.read(dir("root/etc/app/a.conf")) == "a2\n"
        }
        try await eventually(timeout: .seconds(20), "v2 healthy reported") {
            controller.reports("web-01", "app").last.map { $0.bundle == v2.bundle.id && $0.phase == .healthy } ?? false
        }
        try await agent.terminate()
        await controller.stop()
    }

    @Test func aWrongTokenIsRefusedAndSaidClearly() async throws {
        let dir = try TempDirectory("agent-token")
        let controller = try ControllerStandIn(token: "right")
        let v1 = Fixture.service("app", revision: "r1", files: [Fixture.file("/etc/app/a.conf", "a1\n")])
        controller.setDesired("web-01", [v1], blobs: [Array("a1\n".utf8)])
        let agent = try AgentProcess(controller: controller.url, name: "web-01", dir: dir, token: "wrong")
        try await eventually(timeout: .seconds(20), "refusal logged\n\(agent.log)") {
            agent.log.contains("refused this agent's token (401)")
        }
        #expect(agent.log.contains("--token-file"))
        #expect(!FileManager.default.fileExists(atPath: dir("root/etc/app/a.conf")))
        #expect(controller.reports("web-01", "app").isEmpty)
        #expect(agent.process.isRunning)
        try await agent.terminate()
    }

    @Test func driftIsReportedAndPutBack() async throws {
        let dir = try TempDirectory("agent-drift")
        let controller = try ControllerStandIn()
        let v1 = Fixture.service(
            "app", revision: "r1", files: [Fixture.file("/etc/app/a.conf", "a1\n", mode: 0o600)], reload: reloadCommand)
        controller.setDesired("web-01", [v1], blobs: [Array("a1\n".utf8)])
        let agent = try AgentProcess(controller: controller.url, name: "web-01", dir: dir)
        try await eventually(timeout: .seconds(20), "v1 healthy\n\(agent.log)") { controller.lastPhase("web-01", "app") == .healthy }

        try Data("edited by hand\n".utf8).write(to: URL(fileURLWithPath: dir("root/etc/app/a.conf")))
        try await eventually(timeout: .seconds(20), "drift reported\n\(agent.log)") {
            controller.reports("web-01", "app").contains { $0.phase == .drifted }
        }
        try await eventually(timeout: .seconds(20), "file put back") { Fixture.read(dir("root/etc/app/a.conf")) == "a1\n" }
        let drift = controller.reports("web-01", "app").first { $0.phase == .drifted }!
        #expect(drift.bundle == v1.bundle.id)
        #expect(drift.detail?.contains("/etc/app/a.conf") == true)
        try await eventually(timeout: .seconds(20), "healthy again") { controller.lastPhase("web-01", "app") == .healthy }
        #expect(Fixture.lines(dir("root/reloads")) == 2)
        // A mode changed by hand is drift too.
        chmod(dir("root/etc/app/a.conf"), 0o666)
        try await eventually(timeout: .seconds(20), "mode put back") {
            ((try? FileManager.default.attributesOfItem(atPath: dir("root/etc/app/a.conf")))?[.posixPermissions] as? Int) == 0o600
        }
        try await agent.terminate()
    }

    @Test func sigtermFinishesTheApplyInFlight() async throws {
        let dir = try TempDirectory("agent-term")
        let controller = try ControllerStandIn()
        let marker = dir("reload-started")
        let v1 = Fixture.service(
            "app", revision: "r1", files: [Fixture.file("/etc/app/a.conf", "a1\n")],
            reload: "grep SigIgn /proc/self/status > \"$TIDE_ROOT/sigign\"; touch \(Shell.quote(marker)); sleep 1; " + reloadCommand)
        controller.setDesired("web-01", [v1], blobs: [Array("a1\n".utf8)])
        let agent = try AgentProcess(controller: controller.url, name: "web-01", dir: dir)
        try await eventually(timeout: .seconds(20), "reload running\n\(agent.log)") { FileManager.default.fileExists(atPath: marker) }
        #expect(try await agent.terminate() == 0)
        #expect(Fixture.lines(dir("root/reloads")) == 1)
        #expect(Fixture.read(dir("state/manifest.json"))?.contains(v1.bundle.id) == true)
        #expect(Fixture.read(dir("state/history.jsonl"))?.contains(v1.bundle.id) == true)
        // Commands do not inherit SIGTERM as ignored from the agent.
        let ignored = Fixture.read(dir("root/sigign"))?.split(separator: "\t").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let mask = ignored.flatMap { UInt64($0, radix: 16) }
        #expect(mask != nil)
        #expect((mask ?? 0) & (1 << (UInt64(SIGTERM) - 1)) == 0)
    }

    /// URLSession on Linux trusts only the system CA store (it ignores URLSessionCertificateAuthorityInfoFile
    /// outside Android), so an agent must refuse a controller whose certificate it cannot verify.
    @Test func refusesAnHTTPSControllerItCannotVerify() async throws {
        let dir = try TempDirectory("agent-tls")
        try Shell.check(
            "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem 2>/dev/null",
            in: dir.path)
        let controller = try ControllerStandIn(
            tls: (try String(contentsOfFile: dir("cert.pem"), encoding: .utf8), try String(contentsOfFile: dir("key.pem"), encoding: .utf8)))
        let v1 = Fixture.service("app", revision: "r1", files: [Fixture.file("/etc/app/a.conf", "secret\n", mode: 0o600)])
        controller.setDesired("web-01", [v1], blobs: [Array("secret\n".utf8)])
        #expect(controller.url.hasPrefix("https://"))
        let agent = try AgentProcess(controller: controller.url, name: "web-01", dir: dir)
        try await eventually(timeout: .seconds(20), "certificate refusal logged\n\(agent.log)") {
            agent.log.contains("certificate")
        }
        #expect(!FileManager.default.fileExists(atPath: dir("root/etc/app/a.conf")))
        #expect(controller.reports("web-01", "app").isEmpty)
        try await agent.terminate()
    }
}
