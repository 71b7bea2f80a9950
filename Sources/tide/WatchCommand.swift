import Foundation
import TideController
import TideCore

/// `tide watch`: follows rollouts until they end, like `kubectl rollout status`; the exit status says how.
enum WatchCommand: TideCommand {
    static let name = "watch"
    static let summary = "follow rollouts until they end, one line per change; exit 0 succeeded, 1 failed, 2 timeout"
    static let help = """
        usage: tide watch [--service S] [--timeout D] [--settle D] [--controller URL] [--token-file F] [--json]

        Follows the rollouts that are active when it starts and every rollout that starts while it runs
        (for one service, or all), polling the controller every 500ms. When none is active it waits up to
        --settle for one to appear: after a `git push` the rollout starts only once the controller has
        fetched the new commit. Prints a line whenever a rollout's progress changes:

          web  #12  wave 2/4  released 5/18  healthy 4  failed 0  timed-out 0  offline 0  verifying

        and a breach, a pause, a revert, a hold or an abort loudly (lines starting with !!). When a
        followed rollout is reverted it also waits up to --settle for the revert's own rollout and
        follows it.

        flags:
          --service S        only this service's rollouts
          --timeout D        give up after D (default 10m); durations like 500ms, 30s, 2m
          --settle D         how long to wait for a rollout to appear when none is active (default 5s)
          --controller URL   the controller's base URL (default: $TIDE_CONTROLLER, else \(OperatorClient.defaultController))
          --token-file F     file holding an operator token, sent as a bearer token (default: $TIDE_TOKEN_FILE)
          --json             print each changed rollout as one line of JSON (JSON Lines) on stdout; the
                             loud lines go to stderr
          --help, -h         this text

        Exit status: 0 when every followed rollout succeeded (or none started within --settle); 1 when
        any ended failed, reverted, held or aborted, a service became held, or the controller cannot be
        reached (for 30s while watching) or refuses; 2 on timeout or a usage error.
        """

    static let interval: Duration = .milliseconds(500)
    /// How long the controller may be unreachable while watching before giving up.
    static let patience: Duration = .seconds(30)

    static func run(_ args: [String]) async throws -> Int32 {
        let a = try Arguments(
            args, valueFlags: OperatorClient.valueFlags.union(["service", "timeout", "settle"]), booleanFlags: ["json"])
        _ = try OperatorClient.positionals(a, [])
        let timeout = try duration(a, "timeout", .seconds(600))
        let settle = try duration(a, "settle", .seconds(5))
        let json = a.flag("json")
        let client = try OperatorClient(a)
        let service = a.value("service")
        let clock = ContinuousClock()
        let start = clock.now
        // The first look waits as long as any command; later polls at most the time left before --timeout
        // (at least 1s, at most 30s), so a hung controller cannot hold the watch past it.
        func left() -> Duration { min(.seconds(30), max(.seconds(1), timeout - (clock.now - start))) }

        let baseline = try await list(client, service: service, timeout: .seconds(30))
        let status = try await client.decode(
            OperatorAPI.Status.self, client.get("/api/v1/status"), from: "/api/v1/status")
        if let service, !status.services.contains(where: { $0.service == service }) {
            throw OperatorClient.Failure(description: "no service \(service) (tide status lists them)")
        }
        var watch = RolloutWatch(service: service, rollouts: baseline, status: status)
        emit(&watch, try await withDetails(client, watch, baseline, timeout: .seconds(30)), status, json: json)
        if watch.outcome == .waiting {
            say("no rollout active\(service.map { " for \($0)" } ?? ""); waiting up to \(DurationText.format(settle)) for one to start", json)
        }

        var followUpUntil: ContinuousClock.Instant?
        var unreachableSince: ContinuousClock.Instant?
        while true {
            switch watch.outcome {
            case .waiting:
                if clock.now - start >= settle {
                    say("no rollout started within \(DurationText.format(settle)): nothing to watch", json)
                    return 0
                }
            case .running:
                followUpUntil = nil
            case .succeeded, .failed:
                if watch.awaitsRevert {
                    if followUpUntil == nil {
                        followUpUntil = clock.now + settle
                        say("waiting up to \(DurationText.format(settle)) for the revert's rollout", json)
                    }
                    if let until = followUpUntil, clock.now < until { break }
                }
                return finish(watch, json: json)
            }
            if clock.now - start >= timeout {
                say("timed out after \(DurationText.format(timeout)); still in progress:", json)
                for line in watch.summaryLines { say("  " + line, json) }
                return 2
            }
            try await Task.sleep(for: interval)
            do {
                let rollouts = try await list(client, service: service, timeout: left())
                let status = try await client.decode(
                    OperatorAPI.Status.self, client.get("/api/v1/status", timeout: left()), from: "/api/v1/status")
                let detailed = try await withDetails(client, watch, rollouts, timeout: left())
                if unreachableSince != nil {
                    say("the controller answers again", json)
                    unreachableSince = nil
                }
                emit(&watch, detailed, status, json: json)
            } catch let failure as OperatorClient.Failure where failure.transient {
                if let since = unreachableSince {
                    if clock.now - since >= patience { throw failure }
                } else {
                    unreachableSince = clock.now
                    say("\(failure) (retrying for up to \(DurationText.format(patience)))", json)
                }
            }
        }
    }

    /// The newest rollouts (at most 100), for one service or all.
    static func list(_ client: OperatorClient, service: String?, timeout: Duration) async throws -> [RolloutSummary] {
        var query = [("limit", "100")]
        if let service { query.insert(("service", service), at: 0) }
        return try client.decode(
            OperatorAPI.Rollouts.self, try await client.get("/api/v1/rollouts", query: query, timeout: timeout), from: "/api/v1/rollouts"
        ).rollouts
    }

    /// `rollouts` with the followed active ones replaced by their full form (with per-server lines), so a
    /// breach can name its failing servers; followed active ones missing from the list are fetched too.
    static func withDetails(
        _ client: OperatorClient, _ watch: RolloutWatch, _ rollouts: [RolloutSummary], timeout: Duration
    ) async throws -> [RolloutSummary]
    {
        var out: [RolloutSummary] = []
        var seen: Set<String> = []
        for r in rollouts {
            seen.insert(r.id)
            if watch.follows(r), !r.state.isTerminal || watch.activeIDs.contains(r.id) {
                out.append(try await detail(client, r.id, timeout: timeout) ?? r)
            } else {
                out.append(r)
            }
        }
        for id in watch.activeIDs where !seen.contains(id) {
            if let r = try await detail(client, id, timeout: timeout) { out.append(r) }
        }
        return out
    }

    static func detail(_ client: OperatorClient, _ id: String, timeout: Duration) async throws -> RolloutSummary? {
        let path = "/api/v1/rollouts/\(OperatorClient.segment(id))"
        do {
            return try client.decode(RolloutSummary.self, try await client.get(path, notFound: "no rollout \(id)", timeout: timeout), from: path)
        } catch let failure as OperatorClient.Failure where !failure.transient && failure.description == "no rollout \(id)" {
            return nil
        }
    }

    static func emit(_ watch: inout RolloutWatch, _ rollouts: [RolloutSummary], _ status: OperatorAPI.Status, json: Bool) {
        let lines = watch.observe(rollouts: rollouts, status: status)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for r in watch.changed {
                if let data = try? encoder.encode(r) { print(String(decoding: data, as: UTF8.self)) }
            }
            for line in lines where line.hasPrefix("!!") || line.hasPrefix("--") { say(line, true) }
        } else {
            for line in lines { print(line) }
        }
        fflush(nil)
    }

    /// A line for the person: stdout, or stderr when stdout carries JSON.
    static func say(_ line: String, _ json: Bool) {
        if json {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        } else {
            print(line)
            fflush(nil)
        }
    }

    static func finish(_ watch: RolloutWatch, json: Bool) -> Int32 {
        let ok = watch.outcome == .succeeded
        say(ok ? "all followed rollouts succeeded:" : "!! not every rollout succeeded:", json)
        for line in watch.summaryLines { say("  " + line, json) }
        return ok ? 0 : 1
    }

    static func duration(_ a: Arguments, _ flag: String, _ fallback: Duration) throws -> Duration {
        guard let text = a.value(flag) else { return fallback }
        guard let d = DurationText.parse(text) else {
            throw Arguments.UsageError(description: "--\(flag) \(text) is not a duration like 500ms, 30s or 2m")
        }
        return d
    }
}
