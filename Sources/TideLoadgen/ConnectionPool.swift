/// The shared keep-alive connections that carry reports and blob fetches for every simulated
/// agent (the long polls have one connection per agent). Requests queue in arrival order and go
/// out on the first free connection.
final class ConnectionPool {
    /// The answer, and how long the request waited for a free connection (seconds).
    typealias Completion = (Result<HTTPReply, LoadgenError>, _ queued: Double) -> Void

    private struct Queued {
        var request: [UInt8]
        var timeout: Double
        var enqueued: UInt64
        var completion: Completion
    }

    private let connections: [HTTPConnection]
    private var idle: [Int]
    private var queue: [Queued] = []
    private var queueHead = 0
    /// Blob fetches and phase changes: sent before heartbeats, as a real agent's own connection
    /// would never make them wait behind other servers' heartbeats.
    private var urgent: [Queued] = []
    private var urgentHead = 0
    private let recorder: StatsRecorder

    init(size: Int, loop: EventLoop, address: ControllerAddress, recorder: StatsRecorder) {
        self.recorder = recorder
        connections = (0..<max(1, size)).map { _ in HTTPConnection(loop: loop, address: address, recorder: recorder) }
        idle = Array((0..<connections.count).reversed())
    }

    /// Requests waiting for a free connection.
    var waiting: Int { queue.count - queueHead + urgent.count - urgentHead }

    func send(_ request: [UInt8], timeout: Double, urgent isUrgent: Bool = true, completion: @escaping Completion) {
        let item = Queued(request: request, timeout: timeout, enqueued: EventLoop.monotonicNanoseconds(), completion: completion)
        if isUrgent { urgent.append(item) } else { queue.append(item) }
        recorder.poolWaiting(1)
        dispatch()
    }

    func closeAll() {
        for c in connections { c.close() }
    }

    private func dispatch() {
        while urgentHead < urgent.count || queueHead < queue.count, let slot = idle.popLast() {
            let item: Queued
            if urgentHead < urgent.count {
                item = urgent[urgentHead]
                urgentHead += 1
                if urgentHead > 1024, urgentHead * 2 > urgent.count {
                    urgent.removeFirst(urgentHead)
                    urgentHead = 0
                }
            } else {
                item = queue[queueHead]
                queueHead += 1
                if queueHead > 1024, queueHead * 2 > queue.count {
                    queue.removeFirst(queueHead)
                    queueHead = 0
                }
            }
            recorder.poolWaiting(-1)
            let queued = Double(EventLoop.monotonicNanoseconds() - item.enqueued) / 1e9
            connections[slot].send(item.request, timeout: item.timeout) { [weak self] result in
                self?.idle.append(slot)
                item.completion(result, queued)
                self?.dispatch()
            }
        }
    }
}
