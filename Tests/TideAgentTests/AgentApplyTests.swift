import Foundation
import TideCore
import TideTestSupport
import Testing

let reloadCommand = #"echo "$TIDE_SERVER $TIDE_SERVICE $TIDE_REVISION $TIDE_BUNDLE" >> "$TIDE_ROOT/reloads""#

@Suite struct AgentApplyTests {
    @Test func appliesReportsUpdatesAndRemovesOnlyManagedFiles() async throws {
        let dir = try TempDirectory("agent-apply")
        let controller = try ControllerStandIn()
        let health = HealthCheck(probe: .command(#"test -f "$TIDE_ROOT/etc/app/a.conf""#), interval: .milliseconds(200), timeout: .seconds(2), retries: 1)
        let v1 = Fixture.service(
            "app", revision: "r1",
            files: [Fixture.file("/etc/app/a.conf", "a1\n", mode: 0o640), Fixture.file("/etc/app/b.conf", "b1\n")],
            reload: reloadCommand, health: health)
        controller.setDesired("web-01", [v1], blobs: [Array("a1\n".utf8), Array("b1\n".utf8)])
        let agent = try AgentProcess(controller: controller.url, name: "web-01", dir: dir)
        let root = agent.root

        try await eventually(timeout: .seconds(20), "healthy report\n\(agent.log)") { controller.lastPhase("web-01", "app") == .healthy }
        #expect(Fixture.read(root + "/etc/app/a.conf") == "a1\n")
        #expect(Fixture.read(root + "/etc/app/b.conf") == "b1\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: root + "/etc/app/a.conf")
        #expect((attributes[.posixPermissions] as? Int) == 0o640)
        #expect(Fixture.read(root + "/reloads") == "web-01 app r1 \(v1.bundle.id)\n")
        let phases = controller.reports("web-01", "app").map(\.phase)
        #expect(Array(phases.prefix(3)) == [.applying, .applied, .healthy])
        #expect(controller.reports("web-01", "app").allSatisfy { $0.bundle == v1.bundle.id })
        let history = Fixture.read(agent.stateDir + "/history.jsonl") ?? ""
        #expect(history.contains(v1.bundle.id) && history.contains("\"revision\":\"r1\""))

        // An unmanaged file beside the managed ones; then b.conf leaves the bundle and a.conf changes.
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: root + "/etc/app/local.conf"))
        let v2 = Fixture.service(
            "app", revision: "r2", files: [Fixture.file("/etc/app/a.conf", "a2\n", mode: 0o640)], reload: reloadCommand, health: health)
        controller.setDesired("web-01", [v2], blobs: [Array("a2\n".utf8)])
        try await eventually(timeout: .seconds(20), "r2 applied\n\(agent.log)") { Fixture.read(root + "/etc/app/a.conf") == "a2\n" }
        try await eventually(timeout: .seconds(20), "r2 healthy") {
            controller.reports("web-01", "app").last.map { $0.bundle == v2.bundle.id && $0.phase == .healthy } ?? false
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/etc/app/b.conf"))
        #expect(Fixture.read(root + "/etc/app/local.conf") == "mine\n")
        #expect(Fixture.lines(root + "/reloads") == 2)
        // Only the new blob was fetched.
        #expect(controller.state.withLock { $0.blobRequests.filter { $0 == SHA256.hex("a1\n") }.count } == 1)

        // The service leaves this server: its managed files go, the unmanaged one stays.
        controller.setDesired("web-01", [])
        try await eventually(timeout: .seconds(20), "files removed\n\(agent.log)") {
            !FileManager.default.fileExists(atPath: root + "/etc/app/a.conf")
        }
        #expect(Fixture.read(root + "/etc/app/local.conf") == "mine\n")
        #expect(try await agent.terminate() == 0)
        let manifest = Fixture.read(agent.stateDir + "/manifest.json") ?? ""
        #expect(!manifest.contains("a.conf"))
        // No leftovers from the sets.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root + "/etc/app").filter { $0.contains(".tide-") }
        #expect(leftovers.isEmpty)
    }

    @Test func aSetThatFailsOnItsSecondFileLeavesBothOldFilesAndNoReload() async throws {
        let dir = try TempDirectory("agent-fail")
        let controller = try ControllerStandIn()
        let v1 = Fixture.service(
            "tls", revision: "r1",
            files: [Fixture.file("/etc/tls/cert.pem", "cert1\n"), Fixture.file("/etc/tls/key.pem", "key1\n", mode: 0o600)],
            reload: reloadCommand)
        controller.setDesired("web-01", [v1], blobs: [Array("cert1\n".utf8), Array("key1\n".utf8)])
        let agent = try AgentProcess(controller: controller.url, name: "web-01", dir: dir)
        try await eventually(timeout: .seconds(20), "v1 healthy\n\(agent.log)") { controller.lastPhase("web-01", "tls") == .healthy }
        #expect(Fixture.lines(agent.root + "/reloads") == 1)

        // The new key's owner does not exist here: the new certificate must not go in alone.
        let v2 = Fixture.service(
            "tls", revision: "r2",
            files: [
                Fixture.file("/etc/tls/cert.pem", "cert2\n"),
                Fixture.file("/etc/tls/key.pem", "key2\n", mode: 0o600, owner: "no-such-user-tide"),
            ],
            reload: reloadCommand)
        controller.setDesired("web-01", [v2], blobs: [Array("cert2\n".utf8), Array("key2\n".utf8)])
        try await eventually(timeout: .seconds(20), "failed report\n\(agent.log)") { controller.lastPhase("web-01", "tls") == .failed }
        let failure = controller.reports("web-01", "tls").last!
        #expect(failure.bundle == v2.bundle.id)
        #expect(failure.detail?.contains("no-such-user-tide") == true)
        #expect(Fixture.read(agent.root + "/etc/tls/cert.pem") == "cert1\n")
        #expect(Fixture.read(agent.root + "/etc/tls/key.pem") == "key1\n")
        #expect(Fixture.lines(agent.root + "/reloads") == 1)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: agent.root + "/etc/tls").filter { $0.contains(".tide-") }
        #expect(leftovers.isEmpty)

        // A reload that fails also puts both files back.
        let v3 = Fixture.service(
            "tls", revision: "r3",
            files: [Fixture.file("/etc/tls/cert.pem", "cert3\n"), Fixture.file("/etc/tls/key.pem", "key3\n", mode: 0o600)],
            reload: "echo config test failed >&2; exit 3")
        controller.setDesired("web-01", [v3], blobs: [Array("cert3\n".utf8), Array("key3\n".utf8)])
        try await eventually(timeout: .seconds(20), "reload failure\n\(agent.log)") {
            controller.reports("web-01", "tls").last.map { $0.bundle == v3.bundle.id && $0.phase == .failed } ?? false
        }
        #expect(controller.reports("web-01", "tls").last?.detail?.contains("config test failed") == true)
        #expect(Fixture.read(agent.root + "/etc/tls/cert.pem") == "cert1\n")
        #expect(Fixture.read(agent.root + "/etc/tls/key.pem") == "key1\n")
        try await agent.terminate()
    }

    @Test func targetsOutsideTheAllowedRootsAreRefused() async throws {
        let dir = try TempDirectory("agent-roots")
        let controller = try ControllerStandIn()
        let v1 = Fixture.service(
            "app", revision: "r1", files: [Fixture.file("/etc/app/a.conf", "a\n"), Fixture.file("/root/.ssh/authorized_keys", "evil\n")])
        controller.setDesired("web-01", [v1], blobs: [Array("a\n".utf8), Array("evil\n".utf8)])
        let agent = try AgentProcess(controller: controller.url, name: "web-01", dir: dir, extra: ["--allowed-root", "/etc/app"])
        try await eventually(timeout: .seconds(20), "failed report\n\(agent.log)") { controller.lastPhase("web-01", "app") == .failed }
        #expect(controller.reports("web-01", "app").last?.detail?.contains("outside the allowed roots") == true)
        #expect(!FileManager.default.fileExists(atPath: agent.root + "/root/.ssh/authorized_keys"))
        #expect(!FileManager.default.fileExists(atPath: agent.root + "/etc/app/a.conf"))
        try await agent.terminate()
    }
}
