import Synchronization
import TideCore

/// Reports waiting to be sent, in order; the sender drains it and puts a batch back when the controller is away.
final class ReportQueue: Sendable {
    private let pending = Mutex<[AgentProtocol.ServiceReport]>([])
    private let wake: AsyncStream<Void>.Continuation
    let wakeups: AsyncStream<Void>
    /// Oldest reports are dropped beyond this; the heartbeat sends the current state again anyway.
    let limit = 1000

    init() {
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func submit(_ report: AgentProtocol.ServiceReport) {
        pending.withLock {
            $0.append(report)
            if $0.count > limit { $0.removeFirst($0.count - limit) }
        }
        wake.yield()
    }

    func takeAll() -> [AgentProtocol.ServiceReport] {
        pending.withLock { p in
            defer { p = [] }
            return p
        }
    }

    /// Puts an unsent batch back in front of anything newer.
    func putBack(_ batch: [AgentProtocol.ServiceReport]) {
        pending.withLock {
            $0 = batch + $0
            if $0.count > limit { $0.removeFirst($0.count - limit) }
        }
    }

    var isEmpty: Bool { pending.withLock { $0.isEmpty } }

    func finish() { wake.finish() }
}
