import Foundation
import TideCore
import TideHTTP
import TideTestSupport

/// A real fleet on this machine for end-to-end tests: a bare remote served by `git daemon` on
/// 127.0.0.1, an engineer's clone, a `tide controller` process and one `tide agent` process per
/// server, each with its own root directory. Nothing is mocked.
final class E2EFleet: @unchecked Sendable {
    // Safe: a fleet is driven by one test at a time.
    let dir: TempDirectory
    var daemon: GitDaemon
    let work: RepoBuilder
    let remotePath: String
    let remoteURL: String
    var controller: TideProcess?
    var controllerPort = 0
    var agents: [String: TideProcess] = [:]
    let client = HTTPClient()
    let agentToken = "agent-secret-\(UUID().uuidString.prefix(8))"
    let operatorToken = "oncall-\(UUID().uuidString.prefix(8))"
    let viewerToken = "viewer-\(UUID().uuidString.prefix(8))"

    /// Servers of the test inventory: web-1…web-7 (web-1 is the canary; zones a, b, c) and db-1…db-3.
    static let webServers = (1...7).map { "web-\($0)" }
    static let dbServers = (1...3).map { "db-\($0)" }
    static var allServers: [String] { webServers + dbServers }

    init(files extra: [String: String] = [:]) throws {
        dir = try TempDirectory("tide-e2e")
        remotePath = try RepoBuilder.bare(dir("remote/fleet.git"))
        daemon = try GitDaemon(basePath: dir("remote"))
        remoteURL = daemon.url("fleet.git")
        work = try RepoBuilder.clone(remoteURL, into: dir("work"))
        var files = Self.baseline
        for (k, v) in extra { files[k] = v }
        _ = try work.write(files)
        _ = try work.commit("Baseline fleet config", author: "Dana Engineer <dana@example.com>")
        try work.push()
        try Data(agentToken.utf8).write(to: URL(fileURLWithPath: dir("agent-token")))
        let tokens = """
            oncall operator \(SHA256.hex(operatorToken))
            dash viewer \(SHA256.hex(viewerToken))

            """
        try Data(tokens.utf8).write(to: URL(fileURLWithPath: dir("operator-tokens")))
        try Data(operatorToken.utf8).write(to: URL(fileURLWithPath: dir("oncall-token")))
    }

    static let baseline: [String: String] = {
        var files: [String: String] = [:]
        files["tide.yaml"] = """
            defaults:
              rollout: {waves: [1, "50%", "100%"], bake: 1s, waveTimeout: 15s, maxFailures: 0, onFailure: revert}
              rollback: {waves: ["100%"], bake: 0s, waveTimeout: 15s}

            """
        var inventory = "servers:\n"
        for (i, name) in webServers.enumerated() {
            let zone = ["a", "b", "c"][i % 3]
            let canary = name == "web-1" ? ", canary: \"true\"" : ""
            inventory += "  - name: \(name)\n    labels: {role: web, zone: eu-1\(zone)\(canary)}\n"
        }
        for (i, name) in dbServers.enumerated() {
            inventory += "  - name: \(name)\n    labels: {role: db, zone: eu-1\(["a", "b", "c"][i % 3])}\n"
        }
        files["inventory/servers.yaml"] = inventory
        files["services/web/service.yaml"] = """
            selector: {role: web}
            files:
              - source: files/site.conf
                target: /etc/site/site.conf
              - source: files/extra.conf
                target: /etc/site/extra.conf
            reload: echo "reload $TIDE_REVISION" >> "$TIDE_ROOT/reloads.log"
            health:
              command: '! grep -q BROKEN "$TIDE_ROOT/etc/site/site.conf" && test ! -e "$TIDE_ROOT/sick"'
              interval: 500ms
              timeout: 2s
              retries: 1
            rollout:
              first: {canary: "true"}
              spreadBy: zone

            """
        files["services/web/files/site.conf"] = "listen 80;\nworkers 4;\nkeepalive 30;\n"
        files["services/web/files/extra.conf"] = "gzip on;\n"
        files["services/db/service.yaml"] = """
            selector: {role: db}
            files:
              - source: files/db.conf
                target: /etc/db/db.conf
            health:
              command: 'test -s "$TIDE_ROOT/etc/db/db.conf"'
              interval: 500ms
              timeout: 2s
              retries: 1

            """
        files["services/db/files/db.conf"] = "max_connections = 100\n"
        return files
    }()

    // MARK: processes

    func startController(extra: [String] = []) throws {
        if controllerPort == 0 { controllerPort = try GitDaemon.freePort() }
        controller = try TideProcess(
            [
                "controller", "--repo", remoteURL, "--branch", "main", "--state-dir", dir("controller"),
                "--listen", "127.0.0.1:\(controllerPort)", "--poll", "200ms", "--startup-grace", "1s",
                "--agent-token-file", dir("agent-token"), "--operator-tokens", dir("operator-tokens"),
                "--author", "Tide <tide@test.example>",
            ] + extra, logPath: dir("controller.log"))
    }

    var url: String { "http://127.0.0.1:\(controllerPort)" }

    func startAgent(_ name: String) throws {
        agents[name] = try TideProcess(
            [
                "agent", "--controller", url, "--name", name, "--state-dir", dir("agents/\(name)/state"),
                "--root", dir("agents/\(name)/root"), "--token-file", dir("agent-token"), "--wait", "2s",
                "--check-interval", "500ms", "--heartbeat", "1s", "--retry-max", "500ms",
            ], logPath: dir("agents/\(name).log"))
    }

    /// Stops the controller and starts it again on the same port and state directory.
    func restartController(kill: Bool = false) throws {
        if kill { controller?.kill() } else { controller?.terminate() }
        try startController()
    }

    /// Stops the git daemon: the remote becomes unreachable.
    func stopRemote() { daemon.stop() }

    /// Serves the remote again, on the same port (so the controller's URL works again).
    func restartRemote() throws {
        daemon.stop()
        daemon = try GitDaemon(basePath: dir("remote"), port: daemon.port)
    }

    /// Makes `server`'s web health check fail (or pass again) whatever its files: a server-side problem
    /// no commit fixes.
    func setSick(_ server: String, _ sick: Bool = true) throws {
        let path = dir("agents/\(server)/root/sick")
        if sick {
            try Data("sick\n".utf8).write(to: URL(fileURLWithPath: path))
        } else {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Someone else pushes between Tide's fetch and its push: the next push to `main` that carries a
    /// `Tide-Rollout` trailer finds the branch already moved to `commit` (a commit of the engineer's
    /// clone, not yet on `main`). Done with a real pre-receive hook in the bare remote that moves the
    /// branch, so receive-pack's own ref update then fails its lock like a lost race.
    func armPushRace(movingMainTo commit: String) throws {
        _ = try work.git("push -q origin \(commit):refs/pending/race")
        let marker = remotePath + "/race-target"
        let hook = """
            #!/bin/sh
            marker=\(Shell.quote(marker))
            [ -f "$marker" ] || exit 0
            while read old new ref; do
              [ "$ref" = refs/heads/main ] || continue
              git log -1 --format=%B "$new" | grep -q '^Tide-Rollout:' || continue
              target=$(cat "$marker")
              rm -f "$marker"
              env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES \\
                git update-ref refs/heads/main "$target" "$old"
              echo "moved main from $old to $target before Tide's push of $new" >> \(Shell.quote(dir("race.log")))
            done
            exit 0

            """
        let hookPath = remotePath + "/hooks/pre-receive"
        try FileManager.default.createDirectory(atPath: remotePath + "/hooks", withIntermediateDirectories: true)
        try Data(hook.utf8).write(to: URL(fileURLWithPath: hookPath))
        _ = try Shell.check("chmod +x \(Shell.quote(hookPath))")
        try Data((commit + "\n").utf8).write(to: URL(fileURLWithPath: marker))
    }

    /// What the race hook did (empty when it never fired).
    var raceLog: String { (try? String(contentsOfFile: dir("race.log"), encoding: .utf8)) ?? "" }

    /// Runs the real `tide` CLI against this controller with the operator token from a file.
    func tide(_ arguments: String) throws -> Shell.Result {
        try Shell.run(
            "\(Shell.quote(TideProcess.binary)) \(arguments) --controller \(url) --token-file \(Shell.quote(dir("oncall-token")))")
    }

    /// Waits until the controller's log contains `text`.
    func waitForControllerLog(_ text: String, timeout: Duration = .seconds(60)) async throws {
        try await eventually("controller log: \(text)", timeout: timeout, every: .milliseconds(20)) {
            self.controller?.log.contains(text) ?? false
        }
    }

    /// Waits until `service` is held; returns the hold text.
    @discardableResult
    func waitForHold(_ service: String, containing text: String = "", timeout: Duration = .seconds(60)) async throws -> String {
        var held = ""
        try await eventually("\(service) held (\(text))", timeout: timeout) {
            held = try await self.service(service)?.held ?? ""
            return !held.isEmpty && (text.isEmpty || held.contains(text))
        }
        return held
    }

    /// Commits on the remote branch whose message says it reverts a commit.
    func remoteReverts() throws -> [(sha: String, message: String)] {
        try remoteLog().filter { $0.message.contains("This reverts commit") }
    }

    /// Starts the controller and every agent, and waits until the baseline is on every server.
    func start() async throws {
        try FileManager.default.createDirectory(atPath: dir("agents"), withIntermediateDirectories: true)
        try startController()
        for name in Self.allServers { try startAgent(name) }
        try await eventually("the baseline on every server", timeout: .seconds(90)) {
            let status = try await self.status()
            // Every server of each service, not just those released: an agent that connected late (a
            // loaded machine) is skipped as offline by the first release and catches up after it.
            let expected = ["web": Self.webServers.count, "db": Self.dbServers.count]
            return status.services.count == 2
                && status.services.allSatisfy { s in
                    s.rollout?.state == .succeeded && s.healthy == s.servers && s.servers == expected[s.service]
                }
        }
    }

    func stop() {
        for agent in agents.values { agent.terminate() }
        controller?.terminate()
        daemon.stop()
    }

    deinit { stop() }

    // MARK: reading the fleet

    func get<T: Decodable>(_ path: String, as type: T.Type, token: String? = nil) async throws -> T {
        let response = try await client.send(
            "GET", url + path, headers: ["Authorization": "Bearer \(token ?? viewerToken)"], timeout: .seconds(10))
        guard response.status == 200 else {
            throw E2EError("GET \(path): \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
        return try response.decode(T.self)
    }

    func post(_ path: String, body: [UInt8] = Array("{}".utf8), token: String) async throws -> HTTPClient.Response {
        try await client.send(
            "POST", url + path, headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"],
            body: body, timeout: .seconds(30))
    }

    func status() async throws -> OperatorAPI.Status { try await get("/api/v1/status", as: OperatorAPI.Status.self) }

    func service(_ name: String) async throws -> OperatorAPI.ServiceStatus? {
        try await status().services.first { $0.service == name }
    }

    func rollout(_ id: String) async throws -> RolloutSummary {
        try await get("/api/v1/rollouts/\(id)", as: RolloutSummary.self)
    }

    func audit() async throws -> [OperatorAPI.AuditRecord] {
        try await get("/api/v1/audit?limit=1000", as: OperatorAPI.Audit.self).entries
    }

    /// Waits until `service` has a rollout of `revision` in a terminal state; returns it.
    @discardableResult
    func waitForRollout(
        _ service: String, revision: String, timeout: Duration = .seconds(90)
    ) async throws -> RolloutSummary {
        var found: RolloutSummary?
        try await eventually("a finished rollout of \(service) at \(revision.prefix(7))", timeout: timeout) {
            let rollouts = try await self.get("/api/v1/rollouts?service=\(service)&limit=50", as: OperatorAPI.Rollouts.self)
            found = rollouts.rollouts.first { $0.revision == revision && $0.state.isTerminal }
            return found != nil
        }
        return found!
    }

    func file(_ server: String, _ path: String) -> String? {
        try? String(contentsOfFile: dir("agents/\(server)/root") + path, encoding: .utf8)
    }

    func exists(_ server: String, _ path: String) -> Bool {
        FileManager.default.fileExists(atPath: dir("agents/\(server)/root") + path)
    }

    struct HistoryLine: Decodable {
        var time: String
        var service: String
        var revision: String
        var bundle: String
    }

    /// Every bundle `server` ever applied, oldest first (the agent's append-only history).
    func history(_ server: String) -> [HistoryLine] {
        let text = (try? String(contentsOfFile: dir("agents/\(server)/state/history.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(HistoryLine.self, from: Data($0.utf8)) }
    }

    /// `git log` of the remote branch, newest first: sha and full message.
    func remoteLog() throws -> [(sha: String, message: String)] {
        let out = try Shell.check("git --git-dir=\(Shell.quote(remotePath)) log --format='%H%x00%B%x1e' main")
        return out.split(separator: "\u{1e}").compactMap { entry in
            let parts = entry.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\0", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return (String(parts[0]), String(parts[1]))
        }
    }
}

struct E2EError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Polls an async condition until it holds or `timeout` passes (errors inside count as "not yet").
func eventually(
    _ what: String, timeout: Duration = .seconds(60), every: Duration = .milliseconds(200),
    _ condition: @escaping () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var lastError: (any Error)?
    while clock.now < deadline {
        do {
            if try await condition() { return }
        } catch { lastError = error }
        try await Task.sleep(for: every)
    }
    throw E2EError("timed out after \(timeout) waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
}
