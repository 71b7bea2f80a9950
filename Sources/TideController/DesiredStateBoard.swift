import Foundation
import Synchronization
import TideCore

/// What each server should hold now, with Consul-style blocking queries: an agent asks with the
/// index it has seen and is answered when that server's state moves past it, or when its wait ends.
///
/// Indexes start at the wall clock in milliseconds when the controller starts, so they keep growing
/// across restarts; an agent whose index is ahead of the server's (the controller's clock went back)
/// is answered at once, as Consul does.
///
/// Waits end on one sweeper's tick (every `sweepInterval`), not on a timer each: 10,000 held queries
/// cost no 10,000 sleeping tasks, and the ones that end together are answered together (the HTTP
/// server then resumes them in one pass; see `HTTPServer`). A wait ends at most one tick late.
public final class DesiredStateBoard: Sendable {
    struct Waiter {
        var after: UInt64
        var continuation: CheckedContinuation<AgentProtocol.DesiredState, Never>
    }

    struct State {
        var counter: UInt64
        var heartbeatSeconds: Int?
        var index: [String: UInt64] = [:]
        var services: [String: [String: AgentProtocol.DesiredService]] = [:]
        var waiters: [String: [UInt64: Waiter]] = [:]
        var open = 0
        var nextWaiter: UInt64 = 0
        /// Tick number → the waits that end on it (a ticket whose waiter was already answered is skipped).
        var expiries: [Int64: [(server: String, ticket: UInt64)]] = [:]
        /// Every tick up to this one has been swept.
        var swept: Int64 = 0
    }

    private let state: Mutex<State>
    private let origin = ContinuousClock.now
    let sweepInterval: Duration
    private let sweeper = Mutex<Task<Void, Never>?>(nil)

    public init(
        startIndex: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000), sweepInterval: Duration = .milliseconds(250)
    ) {
        state = Mutex(State(counter: startIndex))
        self.sweepInterval = sweepInterval
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: sweepInterval)
                guard let self else { return }
                self.sweep()
            }
        }
        sweeper.withLock { $0 = task }
    }

    deinit { sweeper.withLock { $0?.cancel() } }

    /// Sets (or, with nil, removes) what `server` should hold for `service`; wakes its waiting agents
    /// when that changes anything.
    public func set(server: String, service: String, to desired: AgentProtocol.DesiredService?) {
        let woken: [(Waiter, AgentProtocol.DesiredState)] = state.withLock { s in
            let current = s.services[server]?[service]
            guard current != desired else { return [] }
            s.counter += 1
            s.index[server] = s.counter
            s.services[server, default: [:]][service] = desired
            let waiting = s.waiters.removeValue(forKey: server) ?? [:]
            guard !waiting.isEmpty else { return [] }
            s.open -= waiting.count
            let snapshot = Self.snapshot(s, server)
            return waiting.values.map { ($0, snapshot) }
        }
        for (waiter, snapshot) in woken { waiter.continuation.resume(returning: snapshot) }
    }

    /// How far apart agents should repeat their reports (`DesiredState.heartbeatSeconds`), for a fleet of
    /// `servers`: 30s, or longer so that the whole fleet's repeats stay near 50 a second (200s at 10,000
    /// servers). Agents hear it with their next answer; none is woken for it.
    public func setHeartbeat(forServers servers: Int) {
        let seconds = max(30, (servers + 49) / 50)
        state.withLock { $0.heartbeatSeconds = seconds }
    }

    /// The current desired state of `server`.
    public func current(server: String) -> AgentProtocol.DesiredState {
        state.withLock { Self.snapshot($0, server) }
    }

    /// The servers with a blocking query held right now.
    public func waitingServers() -> [String] { state.withLock { Array($0.waiters.keys) } }

    /// The number of blocking queries held right now.
    public var openQueries: Int { state.withLock { $0.open } }

    /// Answers at once when `server`'s index is past `index` (or ahead of it: a reset), else when it
    /// changes or `wait` passes (to within one sweep), whichever is first.
    public func wait(server: String, after index: UInt64, wait: Duration) async -> AgentProtocol.DesiredState {
        let endTick = tick(at: ContinuousClock.now + wait, roundingUp: true)
        return await withCheckedContinuation { continuation in
            let immediate: AgentProtocol.DesiredState? = state.withLock { s in
                let current = s.index[server] ?? 0
                if current != index || wait <= .zero { return Self.snapshot(s, server) }
                s.nextWaiter += 1
                let ticket = s.nextWaiter
                s.waiters[server, default: [:]][ticket] = Waiter(after: index, continuation: continuation)
                s.open += 1
                s.expiries[max(endTick, s.swept + 1), default: []].append((server, ticket))
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Ends every wait whose time has come, with the server's current state.
    func sweep(now: ContinuousClock.Instant = .now) {
        let due = tick(at: now, roundingUp: false)
        let expired: [(Waiter, AgentProtocol.DesiredState)] = state.withLock { s in
            guard due > s.swept else { return [] }
            var out: [(Waiter, AgentProtocol.DesiredState)] = []
            // The buckets between the last sweep and now (a few, unless the process was stopped a while).
            if due - s.swept > Int64(s.expiries.count) {
                for key in s.expiries.keys.filter({ $0 <= due }) { Self.expire(&s, key, into: &out) }
            } else {
                var t = s.swept + 1
                while t <= due {
                    Self.expire(&s, t, into: &out)
                    t += 1
                }
            }
            s.swept = due
            return out
        }
        for (waiter, snapshot) in expired { waiter.continuation.resume(returning: snapshot) }
    }

    private static func expire(_ s: inout State, _ tick: Int64, into out: inout [(Waiter, AgentProtocol.DesiredState)]) {
        guard let entries = s.expiries.removeValue(forKey: tick) else { return }
        for (server, ticket) in entries {
            guard let waiter = s.waiters[server]?.removeValue(forKey: ticket) else { continue }
            if s.waiters[server]?.isEmpty == true { s.waiters[server] = nil }
            s.open -= 1
            out.append((waiter, snapshot(s, server)))
        }
    }

    /// The sweep tick an instant falls in.
    private func tick(at instant: ContinuousClock.Instant, roundingUp: Bool) -> Int64 {
        let elapsed = (instant - origin).milliseconds
        let step = max(1, sweepInterval.milliseconds)
        return roundingUp ? (elapsed + step - 1) / step : elapsed / step
    }

    private static func snapshot(_ s: State, _ server: String) -> AgentProtocol.DesiredState {
        let services = (s.services[server] ?? [:]).values.sorted { $0.service < $1.service }
        return AgentProtocol.DesiredState(
            index: s.index[server] ?? 0, server: server, services: services, heartbeatSeconds: s.heartbeatSeconds)
    }
}
