import Foundation
import CMalloc
import Synchronization
import TideCore
import TideGit
import TideHTTP
import TideLog
import TideStore

/// `tide controller`: the long-running services of one fleet's controller, started and stopped together:
/// the fetcher (poll + on demand), the reconciler's clock, the HTTP API, the notifier and the watchdog.
/// SIGTERM and SIGINT stop them in order: stop taking requests, let the event in progress finish, exit.
public enum Controller {
    /// The engine is snapshotted every this many recorded events, at most once per `snapshotMinInterval`.
    static let snapshotEvery = 500
    static let snapshotMinInterval: Duration = .seconds(60)

    /// Runs until SIGTERM or SIGINT; returns the exit status.
    public static func run(_ options: ControllerOptions) async throws -> Int32 {
        try FileManager.default.createDirectory(atPath: options.stateDirectory, withIntermediateDirectories: true)
        // Snapshots of a 10,000-server engine take a while to encode: at most one a minute, encoded off
        // the reconciler's thread, and replay of the events since covers the rest (plus one at every clean stop).
        let store = try StateStore(
            directory: options.stateDirectory, snapshotEvery: Self.snapshotEvery, snapshotMinInterval: Self.snapshotMinInterval,
            backgroundSnapshots: true)
        let remote = GitRemote(
            url: options.repo, tokenFile: options.httpsTokenFile, sshKeyFile: options.sshKeyFile,
            knownHostsFile: options.knownHostsFile)
        let mirror = try GitMirror(path: options.stateDirectory + "/mirror.git", remote: remote, branch: options.branch)
        let metrics = TideMetrics()
        let board = DesiredStateBoard()
        let trigger = FetchTrigger()
        let reconciler = try Reconciler(
            options: options, store: store, mirror: mirror, board: board, metrics: metrics,
            fetchTrigger: trigger)
        await reconciler.restore()

        let api = try ControllerAPI(options: options, backend: reconciler, metrics: metrics)
        let serverOptions = try ControllerAPI.serverOptions(options)
        let server = try HTTPServer(serverOptions, handler: api.handler)
        let scheme = serverOptions.tlsCertificatePEM == nil ? "http" : "https"
        Log.notice(
            "controller.started",
            ["listen": "\(scheme)://\(options.listenHost):\(server.port)", "repo": remote.displayURL,
             "branch": options.branch, "state_dir": options.stateDirectory, "pid": getpid()])

        let signals = SignalStream.termination()
        let lastLoop = Heartbeat()
        let services = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await trigger.run { cause in await reconciler.fetchAndProcess(cause: cause) }
                }
                group.addTask {
                    trigger.trigger(.startup)
                    while !Task.isCancelled {
                        let jitter = Double.random(in: 0...0.1)
                        let wait = options.poll + options.poll * jitter
                        do { try await Task.sleep(for: wait) } catch { return }
                        trigger.trigger(.poll)
                    }
                }
                group.addTask {
                    let clock = ContinuousClock()
                    while !Task.isCancelled {
                        let started = clock.now
                        await reconciler.tick()
                        await reconciler.processHeadIfNew()
                        metrics.reconcileDuration.observe(clock.now - started)
                        lastLoop.beat()
                        do { try await Task.sleep(for: options.tick) } catch { return }
                    }
                }
                group.addTask {
                    // The loop is alive when it finished a pass in the last minute; else systemd restarts us.
                    await SystemdNotifier.runWatchdog { lastLoop.age < .seconds(60) }
                }
                // Each service runs until the task is cancelled at shutdown (the watchdog returns at once
                // outside systemd); wait for all of them.
                await group.waitForAll()
            }
        }
        SystemdNotifier.ready(status: "serving on \(options.listenHost):\(server.port), watching \(options.branch)")

        let signal = await signals.first()
        Log.notice("controller.stopping", ["signal": signal])
        SystemdNotifier.stopping()
        await server.stop()
        trigger.finish()
        services.cancel()
        _ = await services.value
        await reconciler.shutdown()
        Log.notice("controller.stopped", [:])
        return 0
    }
}

/// When the reconcile loop last finished a pass, for the watchdog.
final class Heartbeat: Sendable {
    private let last = Mutex(ContinuousClock.now)
    func beat() { last.withLock { $0 = ContinuousClock.now } }
    var age: Duration { ContinuousClock.now - last.withLock { $0 } }
}

extension Controller {
    /// Two glibc malloc arenas, unless `MALLOC_ARENA_MAX` says otherwise. By default glibc gives each
    /// thread that allocates its own arena (up to 8 per core): libmicrohttpd's 8 threads and Swift's
    /// pool each kept freed memory the others could not reuse. With 10,000 agents the controller's peak
    /// resident memory went from 539 MB to 466 MB with two (docs/scale.md); the CPU cost was not measurable.
    /// Call it first thing in `main`, before any other thread starts: glibc fixes the limit when the
    /// second arena is made, and a later call has no effect (measured: 560 MB when called from `run`).
    public static func limitMallocArenas() {
        guard getenv("MALLOC_ARENA_MAX") == nil else { return }
        _ = tide_limit_malloc_arenas(2)
    }
}
