import Foundation
import TideCore
import TideHTTP
import TideTestSupport

/// A real controller for the simulator to talk to: a bare remote behind `git daemon` on 127.0.0.1,
/// an engineer's clone with an inventory of `count` servers (web-001 … , web-001 the canary,
/// zones a/b/c) and one service `web`, and a `tide controller` process. Nothing is mocked.
final class LoadgenFleet: @unchecked Sendable {
    // Safe: driven by one test at a time.
    let dir: TempDirectory
    let daemon: GitDaemon
    let work: RepoBuilder
    let remotePath: String
    let servers: [String]
    var controller: TideProcess?
    var port = 0
    let agentToken = "agent-\(UUID().uuidString.prefix(8))"
    let viewerToken = "viewer-\(UUID().uuidString.prefix(8))"
    let client = HTTPClient()
    /// The commit that holds the first config.
    private(set) var baseline = ""

    init(count: Int, bake: String = "0s") throws {
        dir = try TempDirectory("tide-loadgen")
        remotePath = try RepoBuilder.bare(dir("remote/fleet.git"))
        daemon = try GitDaemon(basePath: dir("remote"))
        work = try RepoBuilder.clone(daemon.url("fleet.git"), into: dir("work"))
        servers = (1...count).map { String(format: "web-%03d", $0) }
        var inventory = "servers:\n"
        for (i, name) in servers.enumerated() {
            let canary = i == 0 ? ", canary: \"true\"" : ""
            inventory += "  - name: \(name)\n    labels: {role: web, zone: eu-1\(["a", "b", "c"][i % 3])\(canary)}\n"
        }
        let files: [String: String] = [
            "tide.yaml": """
            defaults:
              rollout: {waves: [1, "50%", "100%"], bake: \(bake), waveTimeout: 30s, maxFailures: 0, onFailure: revert}
              rollback: {waves: ["100%"], bake: 0s, waveTimeout: 30s}

            """,
            "inventory/servers.yaml": inventory,
            "services/web/service.yaml": """
            selector: {role: web}
            files:
              - source: files/site.conf
                target: /etc/site/site.conf
              - source: files/extra.conf
                target: /etc/site/extra.conf
            health:
              command: 'true'
              interval: 1s
              timeout: 1s
              retries: 1
            rollout:
              first: {canary: "true"}
              spreadBy: zone

            """,
            "services/web/files/site.conf": "listen 80;\nworkers 4;\n",
            "services/web/files/extra.conf": "gzip on;\n",
        ]
        try work.write(files)
        baseline = try work.commit("Baseline: \(count) web servers")
        try work.push()
        try Data(agentToken.utf8).write(to: URL(fileURLWithPath: dir("agent-token")))
        try Data("dash viewer \(SHA256.hex(viewerToken))\n".utf8).write(to: URL(fileURLWithPath: dir("operator-tokens")))
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts (or restarts, same port and state) the controller and waits until it answers.
    func startController() throws {
        if port == 0 { port = try GitDaemon.freePort() }
        controller = try TideProcess(
            [
                "controller", "--repo", daemon.url("fleet.git"), "--branch", "main", "--state-dir", dir("controller"),
                "--listen", "127.0.0.1:\(port)", "--poll", "200ms", "--startup-grace", "1s",
                "--agent-token-file", dir("agent-token"), "--operator-tokens", dir("operator-tokens"),
                "--author", "Tide <tide@test.example>",
            ], logPath: dir("controller.log"))
        try waitUntil(timeout: .seconds(30), "the controller listening on \(port)") {
            guard self.controller?.isRunning ?? false else { throw FleetError("controller exited:\n\(self.controller?.log ?? "")") }
            return GitDaemon.accepts(port: self.port)
        }
    }

    /// Waits until the controller read the inventory (before that it answers agents 404 "unknown server").
    func waitForInventory() async throws {
        try await eventually("the controller knows the \(servers.count) servers") {
            try await self.status().servers == self.servers.count
        }
    }

    func stopController() { controller?.terminate() }

    /// Commits a new `site.conf` (its content) and pushes; returns the sha.
    func commitSite(_ content: String, message: String) throws -> String {
        try work.write("services/web/files/site.conf", content)
        let sha = try work.commit(message)
        try work.push()
        return sha
    }

    func status() async throws -> OperatorAPI.Status {
        let response = try await client.send(
            "GET", url + "/api/v1/status", headers: ["Authorization": "Bearer \(viewerToken)"], timeout: .seconds(10))
        guard response.status == 200 else { throw FleetError("status: \(response.status)") }
        return try JSONDecoder().decode(OperatorAPI.Status.self, from: Data(response.body))
    }

    /// `git log` messages of the remote branch, newest first.
    func remoteMessages() throws -> [String] {
        try Shell.check("git --git-dir=\(Shell.quote(remotePath)) log --format=%B%x1e main")
            .split(separator: "\u{1e}").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    deinit {
        controller?.terminate()
        daemon.stop()
    }
}

struct FleetError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Polls an async condition until it holds or `timeout` passes.
func eventually(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var last: (any Error)?
    while clock.now < deadline {
        do { if try await condition() { return } } catch { last = error }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw FleetError("timed out after \(timeout) waiting for \(what)" + (last.map { " (last error: \($0))" } ?? ""))
}
