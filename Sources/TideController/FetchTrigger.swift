import Synchronization

/// Coalesces requests to fetch the config repository: `trigger()` never blocks, and however many
/// triggers arrive while a fetch runs, at most one more fetch follows it. A burst of webhooks thus
/// causes one fetch at a time, not a queue of them, and no trigger is lost (a trigger during a fetch
/// always causes a fetch that starts after it).
///
/// Run it as a long-running service: `try await trigger.run { cause in await fetcher.fetch(cause) }`,
/// cancelled at shutdown; call `trigger(_:)` from any thread (webhook handler, poll timer, API).
public final class FetchTrigger: Sendable {
    private let stream: AsyncStream<TideMetrics.FetchCause>
    private let continuation: AsyncStream<TideMetrics.FetchCause>.Continuation
    private let counts = Mutex<(triggers: Int, fetches: Int)>((0, 0))

    public init() {
        // One buffered element: a trigger while a fetch runs replaces any earlier pending one.
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a fetch; returns at once.
    public func trigger(_ cause: TideMetrics.FetchCause = .manual) {
        counts.withLock { $0.triggers += 1 }
        continuation.yield(cause)
    }

    /// Triggers so far, and fetches started so far.
    public var stats: (triggers: Int, fetches: Int) { counts.withLock { $0 } }

    /// Runs `fetch` once per coalesced trigger, one at a time, until the task is cancelled or `finish()`
    /// is called. With `pollEvery`, also triggers a `.poll` fetch at that interval. Call it once.
    public func run(
        pollEvery interval: Duration? = nil, _ fetch: @escaping @Sendable (TideMetrics.FetchCause) async -> Void
    ) async {
        await withTaskGroup(of: Void.self) { group in
            if let interval {
                group.addTask { [self] in
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: interval) } catch { return }
                        trigger(.poll)
                    }
                }
            }
            for await cause in stream {
                if Task.isCancelled { break }
                counts.withLock { $0.fetches += 1 }
                await fetch(cause)
            }
            group.cancelAll()
        }
    }

    /// Ends `run` after the fetch in progress, if any.
    public func finish() { continuation.finish() }
}
