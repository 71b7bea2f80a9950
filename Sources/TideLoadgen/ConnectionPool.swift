/// The shared keep-alive connections that carry reports and blob fetches for every simulated
/// agent (the long polls have one connection per agent). Requests queue in arrival order and go
/// out on the first free connection.
final class ConnectionPool {
    private struct Queued {
        var request: [UInt8]
        var timeout: Double
        var completion: HTTPConnection.Completion
    }

    private let connections: [HTTPConnection]
    private var idle: [Int]
    private var queue: [Queued] = []
    private var queueHead = 0

    init(size: Int, loop: EventLoop, address: ControllerAddress, recorder: StatsRecorder) {
        connections = (0..<max(1, size)).map { _ in HTTPConnection(loop: loop, address: address, recorder: recorder) }
        idle = Array((0..<connections.count).reversed())
    }

    /// Requests waiting for a free connection.
    var waiting: Int { queue.count - queueHead }

    func send(_ request: [UInt8], timeout: Double, completion: @escaping HTTPConnection.Completion) {
        queue.append(Queued(request: request, timeout: timeout, completion: completion))
        dispatch()
    }

    func closeAll() {
        for c in connections { c.close() }
    }

    private func dispatch() {
        while queueHead < queue.count, let slot = idle.popLast() {
            let item = queue[queueHead]
            queueHead += 1
            if queueHead > 1024, queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            connections[slot].send(item.request, timeout: item.timeout) { [weak self] result in
                self?.idle.append(slot)
                item.completion(result)
                self?.dispatch()
            }
        }
    }
}
