import Foundation
import TideConfig
import TideCore
import TideController
import TideGit

/// The plan section of `make bench`: what the controller does per new head before the engine decides
/// (read the config at the head from the mirror, validate it, build every bundle), on the fleet repo of
/// 10,000 servers, 50 services and 5,000 files. Cold (nothing kept) against warm (the controller's
/// `ConfigLoadCache` and the previous head's bundles kept), for a commit changing one file of one
/// service and for one changing one server's label.
enum PlanBench {
    static let servers = 10_000
    static let runs = 7

    struct Step {
        var config: FleetConfig
        var bundles: FleetBundles
        var read: Duration
        var load: Duration
        var build: Duration
        var total: Duration { read + load + build }
    }

    static func run() async throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tide-bench-plan-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let work = dir + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let started = ContinuousClock.now
        try FleetRepo(servers: servers, services: 50, files: 5_000).write(into: work)
        try GitBench.git(["-C", work, "init", "-q", "-b", "main"])
        try commit(work, "Initial fleet")
        let mirror = try GitMirror(path: dir + "/tide.git", remote: GitRemote(url: work), branch: "main")
        _ = try await mirror.fetch()
        guard let first = try await mirror.head() else { throw GitBench.BenchFailure("mirror has no head") }
        print("plan: repo of \(servers) servers, 50 services, 5,000 files made in \(started.duration(to: .now))")

        // (a) Cold: a new cache, no previous bundles.
        var colds: [Step] = []
        for _ in 0..<runs { colds.append(try plan(mirror, first, cache: ConfigLoadCache(), previous: nil)) }
        let cold = colds.map(\.total)
        let coldStep = colds[0]

        // (b) Warm, a commit changing one file of one service; (c) one changing one server's label.
        let cache = ConfigLoadCache()
        var previous = try plan(mirror, first, cache: cache, previous: nil)
        var service: [Step] = []
        var inventory: [Step] = []
        var zone = "eu-1a"
        for run in 0..<runs {
            let file = "services/svc-07/files/conf.d/part-000.conf"
            try FleetRepo.put(work + "/" + file, FleetRepo.content(service: "svc-07", file: 0, version: run + 2))
            try commit(work, "svc-07: change \(run)")
            var step = try plan(mirror, try await fetch(mirror), cache: cache, previous: previous)
            try check(step, against: previous, changed: ["svc-07"])
            service.append(step)
            previous = step

            let path = work + "/inventory/eu-1a.yaml"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let newZone = "eu-1a-moved-\(run)"
            let old = "name: srv-00001\n    labels: {env: prod, region: eu-1, zone: \(zone),"
            guard text.contains(old) else { throw GitBench.BenchFailure("srv-00001 not found in \(path)") }
            try FleetRepo.put(path, text.replacingOccurrences(of: old, with: old.replacingOccurrences(of: zone, with: newZone)))
            zone = newZone
            try commit(work, "srv-00001: zone \(newZone)")
            step = try plan(mirror, try await fetch(mirror), cache: cache, previous: previous)
            // base renders the zone into every server's file; svc-07 (role r7) does not select srv-00001.
            try check(step, against: previous, changed: ["base"])
            inventory.append(step)
            previous = step
        }
        // The warm result equals a cold build of the same head.
        let fresh = FleetBundles.build(previous.config)
        guard fresh.bundles == previous.bundles.bundles, fresh.blobs == previous.bundles.blobs else {
            throw GitBench.BenchFailure("warm bundles differ from a cold build of the same head")
        }

        // (d) The controller's real per-head path, `Reconciler.process(head:)`: load, bundles, revisions
        // per service, engine, store, publish (what `tide_plan_duration_seconds` times); with and without reuse.
        let warmController = try await Reconciler.planBenchmark(repo: work, stateDirectory: dir + "/warm")
        let coldController = try await Reconciler.planBenchmark(repo: work, stateDirectory: dir + "/cold", reuse: false)
        let firstWarm = try await warmController()
        let firstCold = try await coldController()
        var processService: (warm: [Duration], cold: [Duration]) = ([], [])
        var processInventory: (warm: [Duration], cold: [Duration]) = ([], [])
        for run in 0..<runs {
            let file = "services/svc-14/files/conf.d/part-001.conf"
            try FleetRepo.put(work + "/" + file, FleetRepo.content(service: "svc-14", file: 1, version: run + 2))
            try commit(work, "svc-14: change \(run)")
            processService.warm.append(try await warmController())
            processService.cold.append(try await coldController())

            let path = work + "/inventory/eu-1b.yaml"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let old = "name: srv-00002\n    labels: {env: prod, region: eu-1, zone: eu-1b, role: r0"
            let new = "name: srv-00002\n    labels: {env: prod, region: eu-1, zone: eu-1b, role: r1"
            let from = run % 2 == 0 ? old : new
            guard text.contains(from) else { throw GitBench.BenchFailure("srv-00002 not found in \(path)") }
            try FleetRepo.put(path, text.replacingOccurrences(of: from, with: run % 2 == 0 ? new : old))
            try commit(work, "srv-00002: role change \(run)")
            processInventory.warm.append(try await warmController())
            processInventory.cold.append(try await coldController())
        }

        let bundles = coldStep.bundles.bundles.values.reduce(0) { $0 + Set($1.values.map(\.id)).count }
        print("plan: per head: read the tree from the mirror, load + validate, build every bundle (\(bundles) distinct bundles)")
        print("plan: median of \(runs) runs, release build recommended:")
        row("cold (no cache)", cold, median(colds))
        row("warm, one service file changed", service.map(\.total), median(service))
        row("warm, one server's label changed", inventory.map(\.total), median(inventory))
        let ratio = seconds(median(cold)) / seconds(median(service.map(\.total)))
        print("plan:   ratio cold / warm (one service)       \(String(format: "%.1f", ratio))x")
        let ratioInventory = seconds(median(cold)) / seconds(median(inventory.map(\.total)))
        print("plan:   ratio cold / warm (one label)         \(String(format: "%.1f", ratioInventory))x")
        print("plan:   tide plan (two cold loads) / warm     \(String(format: "%.1f", 2 * ratio))x")
        print("plan: the controller's process(head:) (tide_plan_duration_seconds), median of \(runs) runs:")
        print("plan:   first head (50 services released, cold)  warm \(GitBench.milliseconds(firstWarm)) ms, cold \(GitBench.milliseconds(firstCold)) ms")
        for (label, times) in [("one service file changed", processService), ("one server's role changed", processInventory)] {
            let ratio = seconds(median(times.cold)) / seconds(median(times.warm))
            let padded = label.padding(toLength: 26, withPad: " ", startingAt: 0)
            print(
                "plan:   \(padded) warm \(GitBench.milliseconds(median(times.warm))) ms, cold \(GitBench.milliseconds(median(times.cold))) ms, ratio \(String(format: "%.1f", ratio))x"
            )
        }
        print("plan: target: warm plan of a one-service commit <= 200 ms at \(servers) servers")
    }

    /// One head, timed in its three parts.
    static func plan(_ mirror: GitMirror, _ revision: String, cache: ConfigLoadCache, previous: Step?) throws -> Step {
        let t0 = ContinuousClock.now
        let tree = try mirror.tree(at: revision)
        let t1 = ContinuousClock.now
        let (config, diagnostics) = ConfigLoader.load(tree, cache: cache)
        let t2 = ContinuousClock.now
        guard let config else {
            throw GitBench.BenchFailure("config invalid: \(diagnostics.prefix(3).map(\.description).joined(separator: "; "))")
        }
        let bundles = previous.map { FleetBundles.build(config, reusing: $0.bundles, of: $0.config) } ?? FleetBundles.build(config)
        let t3 = ContinuousClock.now
        return Step(config: config, bundles: bundles, read: t1 - t0, load: t2 - t1, build: t3 - t2)
    }

    /// The services whose bundles differ between two steps must be exactly `changed`.
    static func check(_ step: Step, against previous: Step, changed: Set<String>) throws {
        let names = Set(step.bundles.bundles.keys).union(previous.bundles.bundles.keys)
        let differ = Set(names.filter { step.bundles.bundles[$0] != previous.bundles.bundles[$0] })
        guard differ == changed else { throw GitBench.BenchFailure("bundles changed for \(differ.sorted()), expected \(changed.sorted())") }
    }

    static func fetch(_ mirror: GitMirror) async throws -> String {
        _ = try await mirror.fetch()
        guard let head = try await mirror.head() else { throw GitBench.BenchFailure("mirror has no head") }
        return head
    }

    static func commit(_ work: String, _ message: String) throws {
        try GitBench.git(["-C", work, "add", "-A"])
        try GitBench.git(["-C", work, "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", message])
    }

    static func row(_ label: String, _ times: [Duration], _ sample: Step) {
        let padded = label.padding(toLength: 34, withPad: " ", startingAt: 0)
        print(
            "plan:   \(padded) \(GitBench.milliseconds(median(times))) ms  (read \(GitBench.milliseconds(sample.read)), load \(GitBench.milliseconds(sample.load)), bundles \(GitBench.milliseconds(sample.build)) ms)"
        )
    }

    /// The step with the median total.
    static func median(_ steps: [Step]) -> Step { steps.sorted { $0.total < $1.total }[steps.count / 2] }
    static func median(_ values: [Duration]) -> Duration { GitBench.median(values) }
    static func seconds(_ d: Duration) -> Double { GitBench.seconds(d) }
}
