import Foundation
import Synchronization
import TideCore

/// What each server should hold now, with Consul-style blocking queries: an agent asks with the
/// index it has seen and is answered when that server's state moves past it, or when its wait ends.
///
/// Indexes start at the wall clock in milliseconds when the controller starts, so they keep growing
/// across restarts; an agent whose index is ahead of the server's (the controller's clock went back)
/// is answered at once, as Consul does.
public final class DesiredStateBoard: Sendable {
    struct Waiter {
        var after: UInt64
        var continuation: CheckedContinuation<AgentProtocol.DesiredState, Never>
    }

    struct State {
        var counter: UInt64
        var index: [String: UInt64] = [:]
        var services: [String: [String: AgentProtocol.DesiredService]] = [:]
        var waiters: [String: [UInt64: Waiter]] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state: Mutex<State>

    public init(startIndex: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) {
        state = Mutex(State(counter: startIndex))
    }

    /// Sets (or, with nil, removes) what `server` should hold for `service`; wakes its waiting agents
    /// when that changes anything.
    public func set(server: String, service: String, to desired: AgentProtocol.DesiredService?) {
        let woken: [(Waiter, AgentProtocol.DesiredState)] = state.withLock { s in
            let current = s.services[server]?[service]
            guard current != desired else { return [] }
            s.counter += 1
            s.index[server] = s.counter
            s.services[server, default: [:]][service] = desired
            let snapshot = Self.snapshot(s, server)
            let waiting = s.waiters.removeValue(forKey: server) ?? [:]
            return waiting.values.map { ($0, snapshot) }
        }
        for (waiter, snapshot) in woken { waiter.continuation.resume(returning: snapshot) }
    }

    /// The current desired state of `server`.
    public func current(server: String) -> AgentProtocol.DesiredState {
        state.withLock { Self.snapshot($0, server) }
    }

    /// The servers with a blocking query held right now.
    public func waitingServers() -> [String] { state.withLock { Array($0.waiters.keys) } }

    /// The number of blocking queries held right now.
    public var openQueries: Int { state.withLock { $0.waiters.values.reduce(0) { $0 + $1.count } } }

    /// Answers at once when `server`'s index is past `index` (or ahead of it: a reset), else when it
    /// changes or `wait` passes, whichever is first.
    public func wait(server: String, after index: UInt64, wait: Duration) async -> AgentProtocol.DesiredState {
        let ticket = state.withLock { s -> UInt64 in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        return await withCheckedContinuation { continuation in
            let immediate: AgentProtocol.DesiredState? = state.withLock { s in
                let current = s.index[server] ?? 0
                if current != index || wait <= .zero { return Self.snapshot(s, server) }
                s.waiters[server, default: [:]][ticket] = Waiter(after: index, continuation: continuation)
                return nil
            }
            if let immediate {
                continuation.resume(returning: immediate)
                return
            }
            Task { [weak self] in
                try? await Task.sleep(for: wait)
                self?.expire(server: server, ticket: ticket)
            }
        }
    }

    private func expire(server: String, ticket: UInt64) {
        let expired: (Waiter, AgentProtocol.DesiredState)? = state.withLock { s in
            guard let waiter = s.waiters[server]?.removeValue(forKey: ticket) else { return nil }
            if s.waiters[server]?.isEmpty == true { s.waiters[server] = nil }
            return (waiter, Self.snapshot(s, server))
        }
        if let (waiter, snapshot) = expired { waiter.continuation.resume(returning: snapshot) }
    }

    private static func snapshot(_ s: State, _ server: String) -> AgentProtocol.DesiredState {
        let services = (s.services[server] ?? [:]).values.sorted { $0.service < $1.service }
        return AgentProtocol.DesiredState(index: s.index[server] ?? 0, server: server, services: services)
    }
}
