import Foundation
import TideController
import TideCore
import TideHTTP

/// A small real fleet for the loop benchmark, in its own temp dir: a bare repo served by `git daemon`
/// on 127.0.0.1, a clone to push from, the release `tide controller` and `agents` `tide agent` processes.
final class LoopFleet {
    static let target = "/etc/app/app.conf"
    let dir: String
    let servers: [String]
    let controllerPort: Int
    let webhookSecret: String?
    /// Keep the temp dir and logs after `stop()` (also when TIDE_KEEP_TEMP is set).
    var keep = false
    private var children: [BenchChild] = []
    private let work: String
    private let viewerToken = "viewer-\(UUID().uuidString.prefix(8))"
    private let client = HTTPClient()

    /// The `tide` binary beside this benchmark's binary (both built by `swift build -c release`).
    static var tideBinary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("tide").path
    }

    /// Builds the fleet and waits (at most 90 s) until the baseline file is on every agent.
    init(agents: Int, poll: String, webhookSecret: String?) async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.tideBinary) else {
            throw BenchFailure("no tide binary at \(Self.tideBinary): run `swift build -c release` first")
        }
        dir = NSTemporaryDirectory() + "tide-loop-bench-\(UUID().uuidString.prefix(8))"
        servers = (1...agents).map { "app-\($0)" }
        self.webhookSecret = webhookSecret
        work = dir + "/work"
        controllerPort = try BenchChild.freePort()
        try FileManager.default.createDirectory(atPath: dir + "/remote", withIntermediateDirectories: true)
        do {
            try await build(poll: poll)
        } catch {
            keep = true  // the logs say why
            stop()
            throw error
        }
    }

    private func git(_ arguments: String...) throws {
        try BenchChild.run("/usr/bin/git", Array(arguments), in: work)
    }

    private func write(_ relative: String, _ text: String) throws {
        let path = work + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    private func build(poll: String) async throws {
        let remote = dir + "/remote/fleet.git"
        try BenchChild.run("/usr/bin/git", ["init", "-q", "--bare", "-b", "main", remote])
        let gitDaemon = try BenchChild.run("/usr/bin/git", ["--exec-path"]).trimmingCharacters(in: .whitespacesAndNewlines) + "/git-daemon"
        let daemonPort = try BenchChild.freePort()
        children.append(
            try BenchChild(
                "git-daemon", program: gitDaemon,
                arguments: [
                    "--reuseaddr", "--base-path=\(dir)/remote", "--export-all", "--enable=receive-pack", "--listen=127.0.0.1",
                    "--port=\(daemonPort)", dir + "/remote",
                ], logPath: dir + "/git-daemon.log"))
        try await Self.waitUntil("git daemon on 127.0.0.1:\(daemonPort)", seconds: 20) { BenchChild.accepts(port: daemonPort) }
        let url = "git://127.0.0.1:\(daemonPort)/fleet.git"
        try BenchChild.run("/usr/bin/git", ["clone", "-q", url, work])
        try git("checkout", "-q", "-B", "main")
        try git("config", "user.name", "Bench Engineer")
        try git("config", "user.email", "bench@example.com")
        try write(
            "tide.yaml",
            """
            defaults:
              rollout: {waves: [1, "100%"], bake: 0s, waveTimeout: 20s, maxFailures: 0, onFailure: pause}

            """)
        try write("inventory/servers.yaml", "servers:\n" + servers.map { "  - name: \($0)\n    labels: {role: app}\n" }.joined())
        try write(
            "services/app/service.yaml",
            """
            selector: {role: app}
            files:
              - source: files/app.conf
                target: \(Self.target)
            health:
              command: 'test -s "$TIDE_ROOT\(Self.target)"'
              interval: 500ms
              timeout: 2s
              retries: 1

            """)
        try write("services/app/files/app.conf", "baseline\n")
        try git("add", "-A")
        try git("commit", "-q", "-m", "Baseline")
        try git("push", "-q", "origin", "main")

        let agentToken = "agent-\(UUID().uuidString)"
        try Data(agentToken.utf8).write(to: URL(fileURLWithPath: dir + "/agent-token"))
        try Data("dash viewer \(SHA256.hex(viewerToken))\n".utf8).write(to: URL(fileURLWithPath: dir + "/operator-tokens"))
        var controllerArgs = [
            "controller", "--repo", url, "--branch", "main", "--state-dir", dir + "/controller",
            "--listen", "127.0.0.1:\(controllerPort)", "--poll", poll, "--startup-grace", "1s",
            "--agent-token-file", dir + "/agent-token", "--operator-tokens", dir + "/operator-tokens",
            "--author", "Tide <tide@bench.example>",
        ]
        if let webhookSecret {
            try Data(webhookSecret.utf8).write(to: URL(fileURLWithPath: dir + "/webhook-secret"))
            controllerArgs += ["--webhook-secret-file", dir + "/webhook-secret"]
        }
        children.append(try BenchChild("controller", program: Self.tideBinary, arguments: controllerArgs, logPath: dir + "/controller.log"))
        try FileManager.default.createDirectory(atPath: dir + "/agents", withIntermediateDirectories: true)
        for name in servers {
            children.append(
                try BenchChild(
                    name, program: Self.tideBinary,
                    arguments: [
                        "agent", "--controller", "http://127.0.0.1:\(controllerPort)", "--name", name,
                        "--state-dir", dir + "/agents/\(name)/state", "--root", dir + "/agents/\(name)/root",
                        "--token-file", dir + "/agent-token", "--wait", "2s", "--check-interval", "500ms",
                        "--heartbeat", "1s", "--retry-max", "500ms",
                    ], logPath: dir + "/agents/\(name).log"))
        }
        try await Self.waitUntil("the baseline on every agent", seconds: 90) { self.servers.allSatisfy { self.file($0) == "baseline\n" } }
        try await waitForRolloutDone(seconds: 90)
    }

    /// The target file on `server`'s disk, or nil.
    func file(_ server: String) -> String? {
        try? String(contentsOfFile: dir + "/agents/\(server)/root" + Self.target, encoding: .utf8)
    }

    /// Commits a new version of the file; returns its content and the commit.
    func commitChange(_ content: String) throws -> String {
        try write("services/app/files/app.conf", content)
        try git("commit", "-q", "-am", "app: \(content.prefix(30))")
        return try BenchChild.run("/usr/bin/git", ["rev-parse", "HEAD"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `git push` of the branch.
    func push() throws { try git("push", "-q", "origin", "main") }

    /// `POST /hooks/github` with a GitHub-shaped push event for `commit`, signed with the secret.
    func callWebhook(commit: String) async throws {
        guard let webhookSecret else { throw BenchFailure("this fleet has no webhook secret") }
        let body = Array(
            #"{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"\#(commit)","repository":{"full_name":"acme/fleet","clone_url":"https://github.com/acme/fleet.git"},"pusher":{"name":"bench"}}"#
                .utf8)
        let signature = HMACSHA256.digest(key: Array(webhookSecret.utf8), data: body).map { String(format: "%02x", $0) }.joined()
        let response = try await client.send(
            "POST", "http://127.0.0.1:\(controllerPort)/hooks/github",
            headers: [
                "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + signature,
                "X-GitHub-Delivery": UUID().uuidString,
            ], body: body, timeout: .seconds(10))
        guard response.status == 202 else {
            throw BenchFailure("webhook answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
    }

    /// Waits until the service's latest rollout is finished, so runs do not overlap.
    func waitForRolloutDone(seconds: Int) async throws {
        try await Self.waitUntil("the app rollout to finish", seconds: seconds) {
            let response = try await self.client.send(
                "GET", "http://127.0.0.1:\(self.controllerPort)/api/v1/status",
                headers: ["Authorization": "Bearer \(self.viewerToken)"], timeout: .seconds(5))
            guard response.status == 200 else { return false }
            let status = try response.decode(OperatorAPI.Status.self)
            return status.services.contains { $0.service == "app" && $0.rollout?.state.isTerminal == true }
        }
    }

    /// Stops every process and removes the temp dir (kept when TIDE_KEEP_TEMP is set).
    func stop() {
        for child in children.reversed() { child.stop() }
        children = []
        if !keep, ProcessInfo.processInfo.environment["TIDE_KEEP_TEMP"] == nil {
            try? FileManager.default.removeItem(atPath: dir)
        } else {
            print("loop: kept \(dir)")
        }
    }

    /// Polls `condition` every 5 ms until it holds, or throws after `seconds`.
    static func waitUntil(_ what: String, seconds: Int, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw BenchFailure("timed out after \(seconds)s waiting for \(what)")
    }
}
