import Foundation
import Synchronization
import TideCore
import TideLog

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sends rollout notices to the configured webhooks, from its own tasks: `enqueue` returns at once
/// and never blocks the reconcile loop. Each target has its own bounded queue (a slow or dead target
/// delays no other); when a queue is full the oldest notice is dropped, with a log line. A delivery
/// is retried with exponential backoff on connection errors, timeouts, 408, 429 and 5xx.
///
/// Start `run()` once as a long-running task; cancel it at shutdown. HTTP and HTTPS through
/// FoundationNetworking's URLSession.
public final class Notifier: Sendable {
    /// How hard to try.
    public struct Policy: Sendable {
        /// Tries per notice and target, the first included.
        public var attempts: Int = 5
        /// Wait after the first failure; doubles each time, up to `maxBackoff`.
        public var initialBackoff: Duration = .milliseconds(500)
        public var maxBackoff: Duration = .seconds(30)
        /// Per request.
        public var timeout: Duration = .seconds(10)
        /// Notices waiting per target; more drops the oldest.
        public var capacity: Int = 256

        public init(
            attempts: Int = 5, initialBackoff: Duration = .milliseconds(500), maxBackoff: Duration = .seconds(30),
            timeout: Duration = .seconds(10), capacity: Int = 256
        ) {
            self.attempts = max(1, attempts)
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.timeout = timeout
            self.capacity = max(1, capacity)
        }
    }

    /// Counts since start.
    public struct Stats: Sendable, Equatable {
        public var sent = 0
        public var failed = 0
        public var dropped = 0
        public var attempts = 0
    }

    private final class Queue: Sendable {
        let target: NotifyTarget
        let url: URL
        /// For logs: the host only. A webhook URL's path is often itself the secret (Slack).
        let label: String
        let pending = Mutex<[Notice]>([])
        let wake: AsyncStream<Void>
        let signal: AsyncStream<Void>.Continuation

        init(target: NotifyTarget, url: URL, index: Int) {
            self.target = target
            self.url = url
            label = "\(index):\(url.host ?? "?")"
            (wake, signal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        }
    }

    private let queues: [Queue]
    private let policy: Policy
    private let metrics: TideMetrics?
    private let session: URLSession
    private let counters = Mutex(Stats())

    /// Targets whose URL is not http(s) are left out with an error line.
    public init(targets: [NotifyTarget], policy: Policy = Policy(), metrics: TideMetrics? = nil) {
        var queues: [Queue] = []
        for (i, target) in targets.enumerated() {
            guard let url = URL(string: target.url), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https", url.host != nil
            else {
                Log.error("notify.bad_target", ["index": i, "url": Redact.url(target.url), "expected": "an http(s) URL"])
                continue
            }
            queues.append(Queue(target: target, url: url, index: i))
        }
        self.queues = queues
        self.policy = policy
        self.metrics = metrics
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = Self.seconds(policy.timeout)
        config.httpCookieStorage = nil
        config.urlCache = nil
        session = URLSession(configuration: config)
        for result in ["sent", "failed", "dropped"] { metrics?.notifications.touch([result]) }
    }

    deinit { session.invalidateAndCancel() }

    /// The targets notices go to.
    public var targets: [NotifyTarget] { queues.map(\.target) }

    public var stats: Stats { counters.withLock { $0 } }

    /// Queues `notice` for every target and returns at once.
    public func enqueue(_ notice: Notice) {
        for queue in queues {
            let dropped: Notice? = queue.pending.withLock { list in
                var oldest: Notice?
                if list.count >= policy.capacity { oldest = list.removeFirst() }
                list.append(notice)
                return oldest
            }
            if let dropped {
                counters.withLock { $0.dropped += 1 }
                metrics?.notifications.inc(["dropped"])
                Log.warning(
                    "notify.dropped",
                    [
                        "target": queue.label, "notice": dropped.event.rawValue, "service": dropped.service,
                        "reason": "queue full (\(policy.capacity))",
                    ])
            }
            queue.signal.yield()
        }
    }

    /// Delivers queued notices until cancelled; one worker per target.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for queue in queues {
                group.addTask { [self] in
                    for await _ in queue.wake {
                        while !Task.isCancelled, let notice = queue.pending.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                            await deliver(notice, to: queue)
                        }
                        if Task.isCancelled { break }
                    }
                }
            }
        }
        let left = queues.reduce(0) { n, q in n + q.pending.withLock { $0.count } }
        if left > 0 { Log.warning("notify.stopped", ["undelivered": left]) }
    }

    private func deliver(_ notice: Notice, to queue: Queue) async {
        var request = URLRequest(url: queue.url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("tide-notifier", forHTTPHeaderField: "User-Agent")
        request.httpBody = notice.body(for: queue.target.format)
        request.timeoutInterval = Self.seconds(policy.timeout)

        var backoff = policy.initialBackoff
        for attempt in 1...policy.attempts {
            counters.withLock { $0.attempts += 1 }
            var problem: String
            var retry = true
            var wait = backoff
            do {
                let (_, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) {
                    counters.withLock { $0.sent += 1 }
                    metrics?.notifications.inc(["sent"])
                    Log.info(
                        "notify.sent",
                        ["target": queue.label, "notice": notice.event.rawValue, "service": notice.service, "attempt": attempt])
                    return
                }
                problem = "HTTP \(status)"
                retry = status == 408 || status == 429 || status >= 500 || status == 0
                if let after = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Retry-After"),
                    let secs = Int(after), secs >= 0
                {
                    wait = min(.seconds(secs), policy.maxBackoff)
                }
            } catch {
                problem = Redact.text((error as NSError).localizedDescription)
            }
            if Task.isCancelled { return }
            guard retry, attempt < policy.attempts else {
                counters.withLock { $0.failed += 1 }
                metrics?.notifications.inc(["failed"])
                Log.error(
                    "notify.failed",
                    [
                        "target": queue.label, "notice": notice.event.rawValue, "service": notice.service,
                        "attempts": attempt, "error": problem,
                    ])
                return
            }
            Log.warning(
                "notify.retry",
                ["target": queue.label, "notice": notice.event.rawValue, "attempt": attempt, "error": problem, "wait": wait])
            do { try await Task.sleep(for: wait) } catch { return }
            backoff = min(backoff * 2, policy.maxBackoff)
        }
    }

    private static func seconds(_ d: Duration) -> TimeInterval {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
