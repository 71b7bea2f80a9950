import Foundation
import Synchronization
import TideLog

#if canImport(Glibc)
    import Glibc
#endif

/// N simulated agents in one process, against a real controller over real HTTP on loopback.
///
///     var options = FleetSimulatorOptions(controller: "http://127.0.0.1:7070", servers: names, token: token)
///     options.failMarker = "BROKEN"
///     let sim = try FleetSimulator(options)
///     sim.start()
///     let took = await sim.waitUntil(service: "web", revision: sha, phase: .healthy, count: names.count, timeout: .seconds(60))
///     print(sim.stats())
///     await sim.stop()
///
/// Thread-safe: every method may be called from any thread or task. The agents themselves run on
/// one epoll thread owned by the simulator (no thread per agent).
public final class FleetSimulator: @unchecked Sendable {
    // Safe: `agents` and `context` are created in init and then touched only on the loop thread;
    // the rest is immutable or synchronised (Mutex, the recorder's Mutex).
    public let options: FleetSimulatorOptions
    public let address: ControllerAddress
    /// Milestones of every (service, revision) (first, each 10%, last), for one consumer.
    public let events: AsyncStream<FleetEvent>
    private let eventSink: AsyncStream<FleetEvent>.Continuation
    private let loop: EventLoop
    private let recorder: StatsRecorder
    private let context: SimulationContext
    private let agents: [SimulatedAgent]
    private let phase = Mutex<Phase>(.created)
    private let stoppedAt = Mutex<ContinuousClock.Instant?>(nil)
    private let loopStarted = Mutex(false)

    private enum Phase { case created, running, stopped }

    /// The file descriptors `count` agents need: one long poll each, the pool, and a margin.
    public static func descriptorsNeeded(agents count: Int, reportConnections: Int) -> Int { count + reportConnections + 64 }

    /// Validates the options, raises RLIMIT_NOFILE to its hard limit, and prepares every agent
    /// (nothing is sent until `start`). Throws when the URL is not loopback or descriptors are short.
    public init(_ options: FleetSimulatorOptions) throws {
        guard !options.servers.isEmpty else { throw LoadgenError("no servers to simulate") }
        guard options.servers.count <= 100_000 else {
            throw LoadgenError("\(options.servers.count) servers: tide-loadgen simulates at most 100,000")
        }
        guard options.reportConnections >= 1 else { throw LoadgenError("--report-connections must be at least 1") }
        guard Set(options.servers).count == options.servers.count else {
            throw LoadgenError("server names repeat: each simulated server needs its own name")
        }
        self.options = options
        address = try ControllerAddress(url: options.controller)
        let needed = Self.descriptorsNeeded(agents: options.servers.count, reportConnections: options.reportConnections)
        let available = Self.raiseDescriptorLimit()
        guard needed <= available else {
            throw LoadgenError(
                "\(options.servers.count) agents need about \(needed) file descriptors (one long poll each, "
                    + "\(options.reportConnections) shared, 64 spare) but RLIMIT_NOFILE allows \(available): "
                    + "simulate at most \(max(0, available - options.reportConnections - 64)) here, or raise the hard limit")
        }
        let (stream, continuation) = AsyncStream.makeStream(of: FleetEvent.self, bufferingPolicy: .bufferingNewest(100_000))
        events = stream
        eventSink = continuation
        let hook = options.onEvent
        recorder = StatsRecorder(agents: options.servers.count) { event in
            continuation.yield(event)
            hook?(event)
        }
        loop = try EventLoop()
        context = SimulationContext(loop: loop, address: address, recorder: recorder, options: options)
        let context = self.context
        agents = options.servers.enumerated().map { SimulatedAgent(name: $1, number: $0, context: context) }
    }

    deinit {
        if phase.withLock({ $0 }) == .running {
            loop.stop()
            _ = loop.waitUntilFinished(timeout: 5)
        }
    }

    /// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force.
    public static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// Starts the loop thread and the agents, `rampPerSecond` long polls opened per second.
    public func start() {
        let go = phase.withLock { p -> Bool in
            guard p == .created else { return false }
            p = .running
            return true
        }
        guard go else { return }
        loopStarted.withLock { $0 = true }
        loop.start()
        Log.info(
            "loadgen.started",
            ["controller": address.description, "agents": agents.count, "ramp": options.rampPerSecond])
        // Closures the loop keeps (timers) hold the simulator weakly: no cycle through the loop.
        loop.execute { [weak self] in self?.ramp(from: 0) }
        if let duration = options.duration {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            loop.execute { [weak self] in
                self?.loop.schedule(after: seconds) { [weak self] in
                    guard let self, self.isRunning else { return }
                    Log.info("loadgen.duration.reached", ["seconds": seconds])
                    self.stopAgents()
                    self.finish()
                }
            }
        }
    }

    /// Starts agents at `rampPerSecond`, by elapsed time (not by tick count, so a slow tick does not slow the ramp).
    private func ramp(from start: Int, began: UInt64? = nil) {
        let began = began ?? EventLoop.monotonicNanoseconds()
        let elapsed = Double(EventLoop.monotonicNanoseconds() - began) / 1e9
        let due = Int(Double(options.rampPerSecond) * elapsed) + max(1, options.rampPerSecond / 100)
        let end = min(agents.count, max(start + 1, due))
        for i in start..<end { agents[i].start() }
        if end < agents.count {
            loop.schedule(after: 0.01) { [weak self] in
                guard let self, self.isRunning else { return }
                self.ramp(from: end, began: began)
            }
        }
    }

    private func stopAgents() {
        for a in agents { a.stop() }
        context.pool.closeAll()
    }

    private func finish() {
        phase.withLock { $0 = .stopped }
        stoppedAt.withLock { if $0 == nil { $0 = .now } }
        eventSink.finish()
        loop.stop()
    }

    /// Stops every agent (closing their connections), then the loop thread. Safe to call twice.
    public func stop() async {
        let running = phase.withLock { $0 == .running }
        if running {
            loop.execute { [self] in
                self.stopAgents()
                self.finish()
            }
        } else {
            phase.withLock { $0 = .stopped }
            eventSink.finish()
        }
        await finished()
    }

    /// Returns when the simulator stopped: `stop()`, or `duration` reached.
    public func finished() async {
        while phase.withLock({ $0 }) != .stopped { try? await Task.sleep(for: .milliseconds(20)) }
        guard loopStarted.withLock({ $0 }) else { return }
        let loop = self.loop
        for _ in 0..<500 {
            if loop.waitUntilFinished(timeout: 0) { return }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Whether `start()` ran and the simulator has not stopped.
    public var isRunning: Bool { phase.withLock { $0 == .running } }

    /// Totals and per-(service, revision) progress now.
    public func stats() -> FleetStats { recorder.snapshot() }

    /// Agents holding a blocking query now: cheap enough to poll (`stats()` sorts the latency window).
    public var waiting: Int { recorder.waitingNow }

    /// Servers whose applied bundle of `service` came from `revision` (full SHA or prefix) now.
    public func holding(service: String, revision: String) -> Int { recorder.holding(service: service, revision: revision) }

    /// Waits until `count` servers reached `phase` for `revision` (full SHA or prefix) of `service`.
    /// Returns how long after this call that happened (zero if it already had), or nil on timeout.
    /// The time is taken when the simulator saw it, not when this poll noticed.
    public func waitUntil(
        service: String, revision: String, phase: FleetPhase, count: Int, timeout: Duration
    ) async -> Duration? {
        let began = ContinuousClock.now
        let deadline = began + timeout
        while true {
            if let at = recorder.instant(service: service, revision: revision, phase: phase, count: count) {
                return at < began ? .zero : at - began
            }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// When the `count`-th server reached `phase` for (service, revision), on the continuous clock.
    public func instant(service: String, revision: String, phase: FleetPhase, count: Int) -> ContinuousClock.Instant? {
        recorder.instant(service: service, revision: revision, phase: phase, count: count)
    }
}
