import Foundation
import TideLoadgen

/// The fleet section of `make bench`: one real `tide controller` against N simulated agents
/// (`FleetSimulator`, one process, real HTTP on 127.0.0.1) on the generated repo (`FleetRepo`: 3
/// regions, 9 zones, 50 services, 5,000 files), for N = 1,000 and 10,000 (TIDE_BENCH_SERVERS overrides,
/// e.g. `TIDE_BENCH_SERVERS=2000`). Writes bench/results/<date>.md and .json (<date>-n2000.md when
/// overridden).
enum FleetBench {
    static let marker = "TIDE-BENCH-BROKEN"
    static let rerun = "make bench ARGS=fleet"

    static let method = """
        - **first release**: from every agent connected until the first rollout of each of the 50 services \
        has ended (the controller's start-up grace, 30 s, is in it: nothing is released before it ends).
        - **connect**: from starting the simulator (ramp 2,000 connections/s) until every agent holds a blocking query.
        - **idle CPU**: the controller's user+system CPU seconds (/proc/PID/stat) over 20 s with every agent \
        connected and nothing changing, as % of one core.
        - **push → first agent told**: from the end of `git push` (the webhook call follows at once) until the \
        simulator receives the first desired state naming the new revision (simulator clock, same process).
        - **service applied**: until the last of the service's servers reported `healthy` for the new revision \
        (policy: waves 1, 1%, 10%, 100%, no bake).
        - **plan time**: `tide_plan_duration_seconds` (sum of the increase over the commit): reading the config at \
        the new head, bundles, and waves.
        - **plan steps** (notes): the controller's `plan.done` log line for the commit: `diff` (which commits \
        touch which services), `load` (config at the head, bundles), `index` (bundles servable by id), \
        `placements` (each changed service's servers, waves), `engine` (rollout engine, store, first releases), \
        `finish` (processed mark, pruning, metrics).
        - **detect-and-diff ratio**: the controller's fetch + plan for the commit against `git fetch` + \
        `git diff-tree` from the command line into a bare clone of the same remote.
        - **reports/s**: service reports the simulator sent during the 10,000-server rollout divided by its \
        duration; **batch**: events per store transaction (`tide_event_batch_size`).
        - **full revert**: a commit that breaks `base` on every server and sets its waves to 100% (so every \
        server holds the bad bundle); from the first `unhealthy` report to every server `healthy` on the revision \
        of Tide's own revert commit.
        - **engine events/decisions per second**: `RolloutEngine` alone in the bench process, one whole rollout \
        over N servers (every server heard, the revision, healthy reports, ticks); a server release is one \
        server's new target in a release decision (one decision releases a whole wave).
        - **peak RSS**: VmHWM of the controller at the end of the run; CPU during the rollout: CPU seconds used \
        from the push to the last healthy report.
        """

    static func run() async throws {
        let chosen = ProcessInfo.processInfo.environment["TIDE_BENCH_SERVERS"]
        let parts = (chosen ?? "1000,10000").split(separator: ",", omittingEmptySubsequences: false)
        let sizes = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
        guard !sizes.isEmpty, sizes.count == parts.count else {
            throw BenchFailure("TIDE_BENCH_SERVERS=\(chosen ?? ""): expected positive sizes separated by commas, like 1000,10000")
        }
        var results = BenchResults()
        print("fleet: \(results.machine)")
        for n in sizes {
            try await measure(servers: n, into: &results)
        }
        // Other sizes than the default go beside the day's file, not over it: <date>-n2000.md.
        let path = try results.write(to: "bench/results", suffix: chosen == nil ? "" : "-n" + sizes.map(String.init).joined(separator: "-"))
        print("fleet: results written to \(path) and .json")
    }

    static func measure(servers n: Int, into results: inout BenchResults) async throws {
        let clock = ContinuousClock()
        let setup = clock.now
        let fleet = try await ScaleFleet(servers: n)
        defer { fleet.stop() }
        fleet.keep = true  // until the run is done: a failure leaves the logs to read
        print("fleet: N=\(n): repo generated and pushed, controller started in \(setup.duration(to: clock.now))")

        var options = FleetSimulatorOptions(controller: fleet.controllerURL, servers: fleet.repo.serverNames, token: fleet.agentToken)
        options.failMarker = marker
        options.duration = .seconds(1200)
        let simulator = try FleetSimulator(options)
        let connectStarted = clock.now
        simulator.start()
        defer { Task { await simulator.stop() } }
        try await waitFor("N=\(n): every agent holding a blocking query", seconds: 300) { simulator.waiting >= n }
        results.add("connect", servers: n, "all agents connected", seconds(connectStarted.duration(to: clock.now)), "s", rerun: rerun)

        // The first release of every service (50 rollouts) must finish before anything is measured.
        let baselineStarted = clock.now
        try await waitForAllRolloutsDone(fleet, "N=\(n): the first release of every service", seconds: 600)
        results.add(
            "first_release", servers: n, "first release of all 50 services (every server, every service)",
            seconds(baselineStarted.duration(to: clock.now)), "s", rerun: rerun)

        // Idle: every agent connected, nothing changing.
        try await Task.sleep(for: .seconds(5))
        let idleWindow = 20.0
        guard let idle0 = fleet.controllerUsage() else { throw BenchFailure("cannot read the controller's /proc entry") }
        try await Task.sleep(for: .seconds(idleWindow))
        guard let idle1 = fleet.controllerUsage() else { throw BenchFailure("cannot read the controller's /proc entry") }
        let metricsIdle = try await fleet.metrics()
        results.add(
            "idle_cpu", servers: n, "idle CPU, all agents connected", (idle1.cpuSeconds - idle0.cpuSeconds) / idleWindow * 100,
            "% of a core", atMost: n >= 10_000 ? 5 : nil, rerun: rerun)
        results.add("idle_rss", servers: n, "resident memory, idle", idle1.residentMB, "MB", rerun: rerun)
        results.add(
            "blocking_queries", servers: n, "blocking queries held at once",
            ScaleFleet.metric("tide_blocking_queries_open", in: metricsIdle), "", rerun: rerun)

        // A one-service change (svc-07: a tenth of the fleet): plan time and detect-and-diff against the CLI.
        let cli = fleet.dir + "/cli.git"
        try BenchChild.run("/usr/bin/git", ["clone", "-q", "--bare", fleet.remote, cli])
        var plan0 = try await fleet.metrics()
        let small = try fleet.commit(
            "svc-07: raise a setting",
            files: ["services/svc-07/files/conf.d/part-003.conf": FleetRepo.content(service: "svc-07", file: 3, version: 2)])
        try await fleet.pushAndAnnounce(small)
        let smallServers = fleet.repo.serverCount(of: "svc-07")
        try await waitFor("N=\(n): svc-07 change on its servers", seconds: 300) {
            simulator.instant(service: "svc-07", revision: small, phase: .healthy, count: smallServers) != nil
        }
        try await waitForAllRolloutsDone(fleet, "N=\(n): the svc-07 rollout", seconds: 300)
        var plan1 = try await fleet.metrics()
        let smallPlan = delta("tide_plan_duration_seconds_sum", plan0, plan1)
        results.add("plan_small", servers: n, "plan time, commit touching one service", smallPlan * 1000, "ms",
            atMost: n >= 10_000 ? 200 : nil, rerun: rerun)
        if let steps = fleet.planSteps(of: small) { results.notes.append("N=\(n): plan of the one-service commit, by step: \(steps)") }
        let fetchSmall = delta("tide_git_fetch_duration_seconds_sum", plan0, plan1)
        let cliStarted = clock.now
        let old = try BenchChild.run("/usr/bin/git", ["--git-dir", cli, "rev-parse", "main"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try BenchChild.run("/usr/bin/git", ["--git-dir", cli, "fetch", "-q", fleet.remote, "+refs/heads/main:refs/heads/main"])
        let paths = try BenchChild.run("/usr/bin/git", ["--git-dir", cli, "diff-tree", "-r", "--name-only", old, "main"])
        let cliTime = seconds(cliStarted.duration(to: clock.now))
        guard paths.contains("services/svc-07/") else { throw BenchFailure("git diff-tree did not see the svc-07 change: \(paths)") }
        results.ratios.append(
            String(
                format: "N=%d: detect-and-diff of a one-service commit: Tide fetch + plan %.1f ms, `git fetch` + `git diff-tree` %.1f ms (the CLI only lists paths; Tide also builds bundles and waves): CLI / Tide = %.2f",
                n, (fetchSmall + smallPlan) * 1000, cliTime * 1000, cliTime / max(fetchSmall + smallPlan, 1e-9)))

        // A change of `base` on every server: push → first told, → every server healthy.
        plan0 = try await fleet.metrics()
        let before = fleet.controllerUsage()
        let stats0 = simulator.stats()
        let change = try fleet.commit(
            "base: raise a setting everywhere",
            files: ["services/base/files/conf.d/part-000.conf": FleetRepo.content(service: "base", file: 0, version: 2)])
        try fleet.git("push", "-q", "origin", "main")
        let pushed = clock.now
        try await fleet.announce(change)
        try await waitFor("N=\(n): base change on every server", seconds: 600) {
            simulator.instant(service: "base", revision: change, phase: .healthy, count: n) != nil
        }
        guard let told = simulator.instant(service: "base", revision: change, phase: .told, count: 1),
            let done = simulator.instant(service: "base", revision: change, phase: .healthy, count: n)
        else { throw BenchFailure("the simulator lost the base rollout's instants") }
        let after = fleet.controllerUsage()
        let stats1 = simulator.stats()
        try await waitForAllRolloutsDone(fleet, "N=\(n): the base rollout", seconds: 120)
        plan1 = try await fleet.metrics()
        results.add("first_told", servers: n, "push → first agent told", seconds(pushed.duration(to: told)), "s",
            atMost: n >= 10_000 ? 1 : nil, rerun: rerun)
        let rollout = seconds(pushed.duration(to: done))
        results.add("service_applied", servers: n, "push → all \(n) servers healthy (base, no bake)", rollout, "s",
            atMost: n >= 10_000 ? 30 : nil, rerun: rerun)
        if let steps = fleet.planSteps(of: change) { results.notes.append("N=\(n): plan of the every-server commit, by step: \(steps)") }
        results.add("plan_all", servers: n, "plan time, commit touching every server", delta("tide_plan_duration_seconds_sum", plan0, plan1) * 1000, "ms",
            atMost: n >= 10_000 ? 200 : nil, rerun: rerun)
        if let before, let after {
            results.add("rollout_cpu", servers: n, "controller CPU during the rollout", after.cpuSeconds - before.cpuSeconds, "s", rerun: rerun)
        }
        results.add("reports_per_second", servers: n, "service reports handled per second during the rollout",
            Double(stats1.reportItems - stats0.reportItems) / rollout, "/s", rerun: rerun)
        let batches = delta("tide_event_batch_size_count", plan0, plan1)
        if batches > 0 {
            results.add("batch_size", servers: n, "events per store transaction (mean)", delta("tide_event_batch_size_sum", plan0, plan1) / batches, "", rerun: rerun)
        }
        // The engine alone, in this process, over a rollout of the same size (the controller's
        // engine does the same work, between the HTTP and store work measured above).
        let engine = try EngineBench.engineRate(servers: n)
        results.add("engine_events", servers: n, "rollout engine: events handled per second (in process)", engine.eventsPerSecond, "/s", rerun: "make bench ARGS=engine")
        results.add("engine_releases", servers: n, "rollout engine: server releases decided per second (in process)", engine.releasesPerSecond, "/s", rerun: "make bench ARGS=engine")
        if let p99 = stats1.reportLatencyP99Ms {
            results.add("report_p99", servers: n, "report POST latency p99 (whole run)", p99, "ms", rerun: rerun)
        }

        // A bad commit that reaches every server (waves 100%), Tide's revert, every server back.
        let bad = try fleet.commit(
            "base: new setting (broken)",
            files: [
                "services/base/files/conf.d/part-001.conf": FleetRepo.content(service: "base", file: 1, version: 2, extra: marker + "\n"),
                "services/base/service.yaml": try String(contentsOfFile: fleet.work + "/services/base/service.yaml", encoding: .utf8)
                    + "rollout:\n  waves: [\"100%\"]\n",
            ])
        try await fleet.pushAndAnnounce(bad)
        try await waitFor("N=\(n): the broken base reported unhealthy", seconds: 300) {
            simulator.instant(service: "base", revision: bad, phase: .unhealthy, count: 1) != nil
        }
        var revert = ""
        try await waitFor("N=\(n): Tide's revert on the remote", seconds: 300) {
            let head = try fleet.remoteHead()
            guard head != bad else { return false }
            revert = head
            return true
        }
        let message = try BenchChild.run("/usr/bin/git", ["--git-dir", fleet.remote, "log", "-1", "--format=%B", revert])
        guard message.contains("This reverts commit \(bad)") else { throw BenchFailure("the remote head \(revert) is not Tide's revert: \(message)") }
        try await waitFor("N=\(n): every server back on the good bundle", seconds: 600) {
            simulator.instant(service: "base", revision: revert, phase: .healthy, count: n) != nil
        }
        guard let breach = simulator.instant(service: "base", revision: bad, phase: .unhealthy, count: 1),
            let back = simulator.instant(service: "base", revision: revert, phase: .healthy, count: n)
        else { throw BenchFailure("the simulator lost the revert's instants") }
        let badTold = simulator.stats().progress(service: "base", revision: bad)?.told ?? 0
        results.add("full_revert", servers: n, "full revert: first unhealthy → all \(n) back on the good bundle", seconds(breach.duration(to: back)), "s",
            atMost: n >= 10_000 ? 30 : nil, rerun: rerun)
        results.notes.append("N=\(n): the broken commit reached \(badTold) servers (waves 100% on purpose); Tide pushed revert \(revert.prefix(7)).")
        if let end = fleet.controllerUsage() {
            results.add("peak_rss", servers: n, "controller peak resident memory (VmHWM)", end.peakResidentMB, "MB",
                atMost: n >= 10_000 ? 512 : nil, rerun: rerun)
        }
        let final = simulator.stats()
        results.notes.append(
            "N=\(n): simulator totals: \(final.requestsSent) requests, \(final.reportsSent) report POSTs, \(final.blobsFetched) blobs, \(final.connectionErrors) connection errors, responses \(final.responses)")
        await simulator.stop()
        fleet.keep = false
    }

    /// Every service's latest rollout finished (succeeded or otherwise terminal) and nothing is held.
    static func waitForAllRolloutsDone(_ fleet: ScaleFleet, _ what: String, seconds: Int) async throws {
        // Every 2 s: a status answer walks every service's servers, which at 10,000 servers is work
        // the measured controller should not be doing all the time.
        try await waitFor(what, seconds: seconds, every: .seconds(2)) {
            let status = try await fleet.status()
            return status.services.count >= fleet.repo.services
                && status.services.allSatisfy { $0.rollout?.state.isTerminal ?? false }
        }
    }

    static func delta(_ name: String, _ a: String, _ b: String) -> Double {
        ScaleFleet.metric(name, in: b) - ScaleFleet.metric(name, in: a)
    }

    /// Polls `condition` until it holds, printing progress every 10 s; throws after `seconds`.
    /// Conditions polled every 5 ms must be cheap (`simulator.instant`, `simulator.waiting`): the
    /// simulator shares the machine's two cores with the controller it measures.
    static func waitFor(
        _ what: String, seconds: Int, every: Duration = .milliseconds(5), _ condition: () async throws -> Bool
    ) async throws {
        let clock = ContinuousClock()
        let started = clock.now
        var said = started
        while clock.now < started + .seconds(seconds) {
            if (try? await condition()) == true { return }
            if clock.now - said >= .seconds(10) {
                said = clock.now
                print("fleet: waiting for \(what) (\(Int(Self.seconds(started.duration(to: clock.now))))s)")
            }
            try await Task.sleep(for: every)
        }
        throw BenchFailure("timed out after \(seconds)s waiting for \(what)")
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}
