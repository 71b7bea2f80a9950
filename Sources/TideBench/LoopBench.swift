import Foundation

/// The loop section of `make bench`: time from `git push` to the first agent's file on disk, on a
/// real small fleet, with a 200ms poll and with a one-hour poll plus a webhook call after the push.
enum LoopBench {
    static let runs = 7
    static let agents = 5

    static func run() async throws {
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ")
        print("loop: \(agents) agents, \(runs) runs per mode; load average \(load ?? "?") on \(ProcessInfo.processInfo.activeProcessorCount) cores")
        let polled = try await measure(label: "poll 200ms", poll: "200ms", webhook: false)
        let hooked = try await measure(label: "webhook (poll 1h)", poll: "1h", webhook: true)
        let ratio = seconds(polled) / max(seconds(hooked), 1e-9)
        print(
            String(
                format: "loop: push→first agent file, median of %d: poll 200ms %.1f ms, webhook %.1f ms (poll/webhook %.2fx)",
                runs, seconds(polled) * 1000, seconds(hooked) * 1000, ratio))
    }

    /// Median over `runs` runs on a fresh fleet; each run at most 30 s.
    static func measure(label: String, poll: String, webhook: Bool) async throws -> Duration {
        let fleet = try await LoopFleet(agents: agents, poll: poll, webhookSecret: webhook ? "bench-\(UUID().uuidString)" : nil)
        defer { fleet.stop() }
        fleet.keep = true  // until every run is measured: a failure leaves the logs to read
        var warned = false
        var times: [Duration] = []
        for run in 1...runs {
            let content = "run \(run) \(label) \(UUID().uuidString)\n"
            let commit = try fleet.commitChange(content)
            let clock = ContinuousClock()
            let started = clock.now
            try fleet.push()
            if webhook { try await fleet.callWebhook(commit: commit) }
            try await LoopFleet.waitUntil("run \(run): the change on an agent", seconds: 30) {
                fleet.servers.contains { fleet.file($0) == content }
            }
            let elapsed = clock.now - started
            times.append(elapsed)
            print(String(format: "loop: %@ run %d: %.1f ms", label, run, seconds(elapsed) * 1000))
            // Let the rollout finish before the next push, so runs do not overlap. A slow finish (a loaded
            // machine) is reported and the logs kept, but does not void the figures measured so far.
            do {
                try await LoopFleet.waitUntil("run \(run): the change on every agent", seconds: 60) {
                    fleet.servers.allSatisfy { fleet.file($0) == content }
                }
                try await fleet.waitForRolloutDone(seconds: 60)
            } catch {
                print("loop: warning: \(label) run \(run): \(error)")
                warned = true
            }
        }
        fleet.keep = warned
        let sorted = times.sorted()
        print(
            String(
                format: "loop: %@: median %.1f ms, min %.1f ms, max %.1f ms", label, seconds(sorted[sorted.count / 2]) * 1000,
                seconds(sorted[0]) * 1000, seconds(sorted[sorted.count - 1]) * 1000))
        return sorted[sorted.count / 2]
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}
