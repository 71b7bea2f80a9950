import Foundation
import Synchronization

/// The simulator's counters, written by the loop thread and read by anyone (`FleetSimulator.stats()`).
/// One Mutex; every update is a few integer operations under it.
final class StatsRecorder: Sendable {
    private struct Pair {
        var progress: RevisionProgress
        /// When the k-th server reached each phase (index k-1).
        var crossings: [FleetPhase: [ContinuousClock.Instant]] = [:]
        /// Per phase: the count last announced, and the service's server count at the first announcement.
        var announced: [FleetPhase: Int] = [:]
        var totalAtFirst: [FleetPhase: Int] = [:]
    }

    private struct State {
        var agents = 0
        var started = 0
        var answered = 0
        var waiting = 0
        var connectionsOpen = 0
        var connects = 0
        var requestsSent = 0
        var responses: [String: Int] = [:]
        var statuses: [String: Int] = [:]
        var problems: [String: Int] = [:]
        var reportsSent = 0
        var reportItems = 0
        var blobsFetched = 0
        var blobBytes = 0
        var desiredDecoded = 0
        var desiredCacheHits = 0
        var connectionErrors = 0
        var backingOff = 0
        var poolWaiting = 0
        var queueWaits: [Double] = []
        var latencies: [Double] = []
        var latencyNext = 0
        var pairIndex: [String: Int] = [:]
        var pairs: [Pair] = []
        var members: [String: Int] = [:]
    }

    private let state = Mutex(State())
    private let startedAt = ContinuousClock.now
    private let sink: @Sendable (FleetEvent) -> Void
    private static let latencyWindow = 65_536

    init(agents: Int, sink: @escaping @Sendable (FleetEvent) -> Void) {
        self.sink = sink
        state.withLock { $0.agents = agents }
    }

    func requestSent() { state.withLock { $0.requestsSent += 1 } }
    func connectionOpened() {
        state.withLock {
            $0.connectionsOpen += 1
            $0.connects += 1
        }
    }
    func connectionClosed() { state.withLock { $0.connectionsOpen -= 1 } }
    func connectionError() { state.withLock { $0.connectionErrors += 1 } }
    func agentStarted() { state.withLock { $0.started += 1 } }
    func agentAnswered() { state.withLock { $0.answered += 1 } }
    func waiting(_ delta: Int) { state.withLock { $0.waiting += delta } }
    var waitingNow: Int { state.withLock { $0.waiting } }
    func backingOff(_ delta: Int) { state.withLock { $0.backingOff += delta } }
    func blobFetched(bytes: Int) {
        state.withLock {
            $0.blobsFetched += 1
            $0.blobBytes += bytes
        }
    }
    func desiredDecoded(cacheHit: Bool) {
        state.withLock { if cacheHit { $0.desiredCacheHits += 1 } else { $0.desiredDecoded += 1 } }
    }

    /// Something went wrong: counted by its description (at most 100 distinct ones are kept).
    func problem(_ what: String) {
        state.withLock { s in
            if s.problems[what] != nil || s.problems.count < 100 { s.problems[what, default: 0] += 1 }
        }
    }

    func response(status: Int) {
        let key = "\(min(max(status / 100, 1), 5))xx"
        state.withLock {
            $0.responses[key, default: 0] += 1
            if status != 200 { $0.statuses[String(status), default: 0] += 1 }
        }
    }

    func poolWaiting(_ delta: Int) { state.withLock { $0.poolWaiting += delta } }

    /// A report POST answered 2xx: `seconds` on the wire, after `queued` seconds waiting for a pool connection.
    func reportSent(items: Int, seconds: Double, queued: Double) {
        state.withLock {
            $0.reportsSent += 1
            $0.reportItems += items
            if $0.latencies.count < Self.latencyWindow {
                $0.latencies.append(seconds)
                $0.queueWaits.append(queued)
            } else {
                $0.latencies[$0.latencyNext] = seconds
                $0.queueWaits[$0.latencyNext] = queued
                $0.latencyNext = ($0.latencyNext + 1) % Self.latencyWindow
            }
        }
    }

    /// A server now has `service` in its desired state (`+1`) or no longer (`-1`).
    func member(_ service: String, _ delta: Int) { state.withLock { $0.members[service, default: 0] += delta } }

    /// A server reached `phase` for (service, revision).
    func reached(_ phase: FleetPhase, service: String, revision: String) {
        let now = ContinuousClock.now
        let t = (Date().timeIntervalSince1970 * 1000).rounded() / 1000
        let event: FleetEvent? = state.withLock { s in
            let key = service + "\u{0}" + revision
            let i: Int
            if let found = s.pairIndex[key] {
                i = found
            } else {
                i = s.pairs.count
                s.pairIndex[key] = i
                s.pairs.append(Pair(progress: RevisionProgress(service: service, revision: revision)))
            }
            var p = s.pairs[i].progress
            let count: Int
            switch phase {
            case .told:
                p.told += 1
                count = p.told
                if p.firstTold == nil { p.firstTold = t }
                p.lastTold = t
            case .applied:
                p.applied += 1
                count = p.applied
                if p.firstApplied == nil { p.firstApplied = t }
                p.lastApplied = t
            case .healthy:
                p.healthy += 1
                count = p.healthy
                p.lastHealthy = t
            case .unhealthy:
                p.unhealthy += 1
                count = p.unhealthy
                p.lastUnhealthy = t
            }
            s.pairs[i].progress = p
            s.pairs[i].crossings[phase, default: []].append(now)
            // Milestones: the first server, then every further tenth of the servers that have the
            // service now, and the last one. While agents are still joining (the service's server
            // count grows with the count itself) "the last" is not known: no last event then, and
            // the tenths are taken of the growing count (about 90 events for 10,000 servers).
            let total = max(s.members[service] ?? 0, count)
            let last = s.pairs[i].announced[phase] ?? 0
            if count == 1 { s.pairs[i].totalAtFirst[phase] = total }
            let stable = s.pairs[i].totalAtFirst[phase] == total
            guard count == 1 || count - last >= max(1, total / 10) || (count == total && stable) else { return nil }
            s.pairs[i].announced[phase] = count
            return FleetEvent(t: t, event: phase, service: service, revision: revision, count: count, of: total)
        }
        if let event { sink(event) }
    }

    /// A server's applied revision of `service` moved from `old` to `new` (either may be nil).
    func holding(service: String, from old: String?, to new: String?) {
        guard old != new else { return }
        state.withLock { s in
            if let old, let i = s.pairIndex[service + "\u{0}" + old] { s.pairs[i].progress.holding -= 1 }
            if let new {
                let key = service + "\u{0}" + new
                if s.pairIndex[key] == nil {
                    s.pairIndex[key] = s.pairs.count
                    s.pairs.append(Pair(progress: RevisionProgress(service: service, revision: new)))
                }
                s.pairs[s.pairIndex[key]!].progress.holding += 1
            }
        }
    }

    /// When the `count`-th server reached `phase` for a revision of `service` starting with `revision`.
    func instant(service: String, revision: String, phase: FleetPhase, count: Int) -> ContinuousClock.Instant? {
        state.withLock { s in
            for pair in s.pairs where pair.progress.service == service && pair.progress.revision.hasPrefix(revision) {
                if let times = pair.crossings[phase], times.count >= count { return times[max(count, 1) - 1] }
            }
            return nil
        }
    }

    /// Servers holding `revision` (prefix) of `service` now.
    func holding(service: String, revision: String) -> Int {
        state.withLock { s in
            s.pairs.filter { $0.progress.service == service && $0.progress.revision.hasPrefix(revision) }
                .reduce(0) { $0 + $1.progress.holding }
        }
    }

    func snapshot() -> FleetStats {
        let (stats, samples, waits) = state.withLock { s -> (FleetStats, [Double], [Double]) in
            (
                FleetStats(
                    agents: s.agents, started: s.started, answered: s.answered, waiting: s.waiting,
                    connectionsOpen: s.connectionsOpen, connects: s.connects, requestsSent: s.requestsSent, responses: s.responses, statuses: s.statuses, problems: s.problems,
                    reportsSent: s.reportsSent, reportItems: s.reportItems, blobsFetched: s.blobsFetched,
                    blobBytes: s.blobBytes, desiredDecoded: s.desiredDecoded, desiredCacheHits: s.desiredCacheHits,
                    connectionErrors: s.connectionErrors, reportLatencyP50Ms: nil, reportLatencyP99Ms: nil,
                reportQueueP99Ms: nil, poolWaiting: s.poolWaiting,
                    backingOff: s.backingOff, elapsedSeconds: 0, revisions: s.pairs.map { $0.progress }),
                s.latencies, s.queueWaits
            )
        }
        var result = stats
        let elapsed = ContinuousClock.now - startedAt
        result.elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if !samples.isEmpty {
            let sorted = samples.sorted()
            result.reportLatencyP50Ms = (sorted[sorted.count / 2] * 1e6).rounded() / 1000
            result.reportLatencyP99Ms = (sorted[min(sorted.count - 1, sorted.count * 99 / 100)] * 1e6).rounded() / 1000
            let queued = waits.sorted()
            result.reportQueueP99Ms = (queued[min(queued.count - 1, queued.count * 99 / 100)] * 1e6).rounded() / 1000
        }
        return result
    }
}
