import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A tiny real HTTP/1.1 server on 127.0.0.1 (POSIX sockets, its own thread) that records the bodies
/// it is sent and answers the first `failFirst` requests with 500. For notification tests.
final class LoopbackReceiver: Sendable {
    struct Request: Sendable {
        var path: String
        var headers: [String: String]
        var body: String
        var status: Int
    }

    let port: UInt16
    private let listener: Int32
    private let state = Mutex<(requests: [Request], stopped: Bool, finished: Bool)>(([], false, false))
    private let failFirst: Int
    private let delay: Duration

    /// Every request, failed ones included, in arrival order.
    var requests: [Request] { state.withLock { $0.requests } }
    /// Bodies of the requests answered 200.
    var delivered: [String] { requests.filter { $0.status == 200 }.map(\.body) }

    init(failFirst: Int = 0, delay: Duration = .zero) throws {
        self.failFirst = failFirst
        self.delay = delay
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listener = fd
        port = UInt16(bigEndian: addr.sin_port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    /// Asks the server thread to stop; it closes the listening socket within 100 ms.
    func stop() {
        state.withLock { $0.stopped = true }
    }

    /// Stops and waits (bounded) until the port is closed.
    func stopAndWait() {
        stop()
        for _ in 0..<100 where !state.withLock({ $0.finished }) { Thread.sleep(forTimeInterval: 0.01) }
    }

    private func serve() {
        // Bounded: stops when asked, or after 10 minutes at most.
        let deadline = ContinuousClock.now + .seconds(600)
        while ContinuousClock.now < deadline, !state.withLock({ $0.stopped }) {
            var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            handle(client)
            close(client)
        }
        close(listener)
        state.withLock { $0.finished = true }
    }

    private func handle(_ fd: Int32) {
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var headerEnd: Int?
        var contentLength = 0
        for _ in 0..<1000 {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data += buffer[0..<n]
            if headerEnd == nil, let r = find(data, [13, 10, 13, 10]) {
                headerEnd = r + 4
                let head = String(decoding: data[0..<r], as: UTF8.self).lowercased()
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    contentLength = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let h = headerEnd, data.count >= h + contentLength { break }
        }
        guard let h = headerEnd else { return }
        let head = String(decoding: data[0..<(h - 4)], as: UTF8.self)
        var lines = head.split(separator: "\r\n").map(String.init)
        let requestLine = lines.isEmpty ? "" : lines.removeFirst()
        var headers: [String: String] = [:]
        for line in lines {
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        let body = String(decoding: data[h..<min(data.count, h + contentLength)], as: UTF8.self)
        let path = requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        if delay > .zero { Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18) }
        let status = state.withLock { s -> Int in
            let status = s.requests.count < failFirst ? 500 : 200
            s.requests.append(Request(path: path, headers: headers, body: body, status: status))
            return status
        }
        let reply = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Internal Server Error")\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        _ = reply.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where Array(hay[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}
