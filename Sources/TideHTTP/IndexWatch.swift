import Synchronization

/// A growing index that many handlers can wait on without a thread each: the controller's side of
/// a blocking query (`?index=N&wait=D`). `advance` wakes every waiter whose `N` it passes.
public final class IndexWatch: Sendable {
    private struct Waiter {
        var after: UInt64
        var continuation: CheckedContinuation<UInt64, Never>
    }

    private struct State {
        var index: UInt64
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        /// Waits whose timer fired before they were registered.
        var expired: Set<UInt64> = []
    }

    private let state: Mutex<State>

    public init(index: UInt64 = 0) { state = Mutex(State(index: index)) }

    /// The current index.
    public var index: UInt64 { state.withLock { $0.index } }

    /// Requests waiting now.
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Raises the index (never lowers it) and wakes the waiters it passes.
    public func advance(to index: UInt64) {
        let woken = state.withLock { s -> [(CheckedContinuation<UInt64, Never>, UInt64)] in
            guard index > s.index else { return [] }
            s.index = index
            var out: [(CheckedContinuation<UInt64, Never>, UInt64)] = []
            for (id, w) in s.waiters where w.after < index {
                out.append((w.continuation, index))
                s.waiters[id] = nil
            }
            return out
        }
        for (c, i) in woken { c.resume(returning: i) }
    }

    /// Returns the index once it is past `after`, or when `timeout` passes or the task is cancelled
    /// (then the current index, which may still be `after`).
    public func wait(after: UInt64, timeout: Duration) async -> UInt64 {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.release(id)
        }
        defer {
            timer.cancel()
            state.withLock { _ = $0.expired.remove(id) }
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<UInt64, Never>) in
                let now = state.withLock { s -> UInt64? in
                    if s.index > after || Task.isCancelled || timeout <= .zero || s.expired.remove(id) != nil {
                        return s.index
                    }
                    s.waiters[id] = Waiter(after: after, continuation: c)
                    return nil
                }
                if let now { c.resume(returning: now) }
            }
        } onCancel: {
            release(id)
        }
    }

    /// Wakes one waiter with the current index, if it is still waiting.
    private func release(_ id: UInt64) {
        let woken = state.withLock { s -> (CheckedContinuation<UInt64, Never>, UInt64)? in
            guard let w = s.waiters.removeValue(forKey: id) else {
                s.expired.insert(id)
                return nil
            }
            return (w.continuation, s.index)
        }
        if let (c, i) = woken { c.resume(returning: i) }
    }
}
