import Foundation
import TideController
import TideCore
import TideHTTP

/// The fleet benchmark's world, in its own temp dir: the generated config repo (`FleetRepo`) in a bare
/// repo served by `git daemon` on 127.0.0.1, a clone to commit and push from, and the release
/// `tide controller` (poll once an hour: pushes are announced by a signed GitHub-style webhook).
/// The agents are simulated in this process (`FleetSimulator`).
final class ScaleFleet {
    let dir: String
    let repo: FleetRepo
    let controllerPort: Int
    let agentToken = "agent-\(UUID().uuidString)"
    let webhookSecret = "hook-\(UUID().uuidString)"
    /// Keep the temp dir after `stop()` (also when TIDE_KEEP_TEMP is set).
    var keep = false
    private var children: [BenchChild] = []
    private var controller: BenchChild?
    let work: String
    let remote: String
    private let viewerToken = "viewer-\(UUID().uuidString.prefix(8))"
    private let client = HTTPClient()

    init(servers: Int) async throws {
        guard FileManager.default.isExecutableFile(atPath: LoopFleet.tideBinary) else {
            throw BenchFailure("no tide binary at \(LoopFleet.tideBinary): run `swift build -c release` first")
        }
        repo = FleetRepo(servers: servers, services: 50, files: 5_000)
        dir = NSTemporaryDirectory() + "tide-fleet-bench-\(UUID().uuidString.prefix(8))"
        work = dir + "/work"
        remote = dir + "/remote/fleet.git"
        controllerPort = try BenchChild.freePort()
        try FileManager.default.createDirectory(atPath: dir + "/remote", withIntermediateDirectories: true)
        do {
            try await build()
        } catch {
            keep = true
            stop()
            throw error
        }
    }

    var controllerURL: String { "http://127.0.0.1:\(controllerPort)" }
    var controllerPID: Int32? { controller.map { $0.process.processIdentifier } }

    @discardableResult
    func git(_ arguments: String...) throws -> String {
        try BenchChild.run("/usr/bin/git", Array(arguments), in: work)
    }

    private func build() async throws {
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
        try await LoopFleet.waitUntil("git daemon on 127.0.0.1:\(daemonPort)", seconds: 20) { BenchChild.accepts(port: daemonPort) }
        let url = "git://127.0.0.1:\(daemonPort)/fleet.git"
        try BenchChild.run("/usr/bin/git", ["clone", "-q", url, work])
        try git("checkout", "-q", "-B", "main")
        try git("config", "user.name", "Bench Engineer")
        try git("config", "user.email", "bench@example.com")
        try repo.write(into: work)
        try git("add", "-A")
        try git("commit", "-q", "-m", "Fleet of \(repo.servers) servers, \(repo.services) services")
        try git("push", "-q", "origin", "main")

        try Data(agentToken.utf8).write(to: URL(fileURLWithPath: dir + "/agent-token"))
        try Data(webhookSecret.utf8).write(to: URL(fileURLWithPath: dir + "/webhook-secret"))
        try Data("bench viewer \(SHA256.hex(viewerToken))\n".utf8).write(to: URL(fileURLWithPath: dir + "/operator-tokens"))
        let child = try BenchChild(
            "controller", program: LoopFleet.tideBinary,
            arguments: [
                "controller", "--repo", url, "--branch", "main", "--state-dir", dir + "/controller",
                "--listen", "127.0.0.1:\(controllerPort)", "--poll", "1h", "--startup-grace", "30s",
                "--agent-token-file", dir + "/agent-token", "--operator-tokens", dir + "/operator-tokens",
                "--webhook-secret-file", dir + "/webhook-secret", "--author", "Tide <tide@bench.example>",
            ], logPath: dir + "/controller.log")
        controller = child
        children.append(child)
        try await LoopFleet.waitUntil("the controller on 127.0.0.1:\(controllerPort)", seconds: 60) {
            BenchChild.accepts(port: self.controllerPort)
        }
    }

    /// The head of the remote branch (what the controller sees after a fetch).
    func remoteHead() throws -> String {
        try BenchChild.run("/usr/bin/git", ["--git-dir", remote, "rev-parse", "refs/heads/main"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes `files` (repo path → text) in the work tree, commits them and returns the commit.
    func commit(_ message: String, files: [String: String]) throws -> String {
        try git("pull", "-q", "--rebase", "origin", "main")
        for (path, text) in files { try FleetRepo.put(work + "/" + path, text) }
        try git("add", "-A")
        try git("commit", "-q", "-m", message)
        return try git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `git push`, then the signed GitHub push webhook for `commit`.
    func pushAndAnnounce(_ commit: String) async throws {
        try git("push", "-q", "origin", "main")
        try await announce(commit)
    }

    func announce(_ commit: String) async throws {
        let body = Array(
            #"{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"\#(commit)","repository":{"full_name":"acme/fleet","clone_url":"https://github.com/acme/fleet.git"},"pusher":{"name":"bench"}}"#
                .utf8)
        let signature = HMACSHA256.digest(key: Array(webhookSecret.utf8), data: body).map { String(format: "%02x", $0) }.joined()
        let response = try await client.send(
            "POST", controllerURL + "/hooks/github",
            headers: [
                "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + signature,
                "X-GitHub-Delivery": UUID().uuidString,
            ], body: body, timeout: .seconds(10))
        guard response.status == 202 else {
            throw BenchFailure("webhook answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
    }

    /// The controller's status (services, rollouts), as `tide status --json` reads it.
    func status() async throws -> OperatorAPI.Status {
        let response = try await client.send(
            "GET", controllerURL + "/api/v1/status", headers: ["Authorization": "Bearer \(viewerToken)"], timeout: .seconds(30))
        guard response.status == 200 else { throw BenchFailure("status answered \(response.status)") }
        return try response.decode(OperatorAPI.Status.self)
    }

    /// The controller's /metrics text.
    func metrics() async throws -> String {
        let response = try await client.send(
            "GET", controllerURL + "/metrics", headers: ["Authorization": "Bearer \(viewerToken)"], timeout: .seconds(30))
        guard response.status == 200 else { throw BenchFailure("metrics answered \(response.status)") }
        return String(decoding: response.body, as: UTF8.self)
    }

    /// The sum over every label set of metric `name` in a Prometheus text page.
    static func metric(_ name: String, in text: String) -> Double {
        var total = 0.0
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let rest = line.dropFirst(name.count)
            guard rest.first == " " || rest.first == "{" else { continue }
            if let value = line.split(separator: " ").last.flatMap({ Double($0) }) { total += value }
        }
        return total
    }

    /// CPU seconds (user + system) and resident memory of the controller now, and its peak.
    func controllerUsage() -> ProcessUsage? { controllerPID.flatMap(ProcessUsage.init(pid:)) }

    /// Stops every process; removes the temp dir unless kept.
    func stop() {
        for child in children.reversed() { child.stop() }
        children = []
        if !keep, ProcessInfo.processInfo.environment["TIDE_KEEP_TEMP"] == nil {
            try? FileManager.default.removeItem(atPath: dir)
        } else {
            print("fleet: kept \(dir) (controller log: \(dir)/controller.log)")
        }
    }

    /// The controller's `plan.done` line for `revision` as "612.1 ms: diff 2.6, load 44.4, …" (ms per step).
    func planSteps(of revision: String) -> String? {
        guard let log = try? String(contentsOfFile: dir + "/controller.log", encoding: .utf8),
            let line = log.split(separator: "\n").last(where: { $0.contains("event=plan.done") && $0.contains(revision) })
        else { return nil }
        var total = "?"
        var steps: [String] = []
        for pair in line.split(separator: " ") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { continue }
            if kv[0] == "ms" { total = String(kv[1]) }
            if kv[0].hasSuffix("_ms") { steps.append("\(kv[0].dropLast(3)) \(kv[1])") }
        }
        return "\(total) ms: " + steps.joined(separator: ", ")
    }
}

/// CPU time and memory of a process, from /proc.
struct ProcessUsage {
    var cpuSeconds: Double
    var residentMB: Double
    var peakResidentMB: Double

    init?(pid: Int32) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")"),
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        else { return nil }
        // Fields after "(comm)": state is field 3, utime 14 and stime 15 (clock ticks).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        cpuSeconds = (user + system) / ticks
        func kB(_ key: String) -> Double {
            for line in status.split(separator: "\n") where line.hasPrefix(key + ":") {
                return Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
            }
            return 0
        }
        residentMB = kB("VmRSS") / 1024
        peakResidentMB = kB("VmHWM") / 1024
    }

}
