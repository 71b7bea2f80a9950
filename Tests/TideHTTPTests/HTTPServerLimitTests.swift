import Foundation
import TideHTTP
import TideTestSupport
import Testing
import Synchronization

/// Resident memory of this process, in bytes (from /proc/self/statm).
func residentBytes() throws -> Int {
    let text = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
    let pages = Int(text.split(separator: " ")[1]) ?? 0
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Threads of this process (from /proc/self/status).
func threadCount() throws -> Int {
    let text = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    for line in text.split(separator: "\n") where line.hasPrefix("Threads:") {
        return Int(line.dropFirst(8).trimmingCharacters(in: .whitespaces)) ?? 0
    }
    return 0
}

@Suite(.serialized) struct HTTPServerLimitTests {
    @Test func hundredMegabyteBodyIsRefusedWithoutBuffering() async throws {
        let dir = try TempDirectory()
        let received = ManagedCounter()
        let server = try HTTPServer(HTTPServerOptions(maxBodyBytes: 1 << 20)) { request in
            received.add(request.body.count)
            return .text("ok")
        }
        defer { Task { await server.stop() } }
        let url = "http://127.0.0.1:\(server.port)/upload"
        // A sparse 100 MB file: costs the disk nothing, curl sends it with a Content-Length.
        let big = dir("big"), small = dir("small")
        try Shell.check("truncate -s 100M \(big)")
        let before = try residentBytes()
        let announced = try await offPool {
            try Shell.check("curl -s -o /dev/null -w '%{http_code}' -X POST -T \(big) \(url)")
        }
        #expect(announced == "413")
        // The same 100 MB streamed chunked (no Content-Length): dropped as it arrives, then 413.
        let streamed = try await offPool {
            try Shell.check(
                "head -c 100000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Transfer-Encoding: chunked' -T - \(url)"
            )
        }
        #expect(streamed == "413")
        let after = try residentBytes()
        #expect(after - before < 20 << 20, "RSS grew by \(after - before) bytes")
        #expect(received.value == 0)
        // A body within the limit still gets through.
        try Shell.check("head -c 1000 /dev/zero > \(small)")
        let ok = try await offPool { try Shell.check("curl -s -o /dev/null -w '%{http_code}' -X POST -T \(small) \(url)") }
        #expect(ok == "200")
        #expect(received.value == 1000)
    }

    @Test func twoThousandLongPollsHoldNoThreadEach() async throws {
        let gate = Gate()
        let server = try HTTPServer { request in
            await gate.wait()
            return .text("released \(request.path)")
        }
        let count = 2000
        let threadsBefore = try threadCount()
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        for i in 0..<count {
            let fd = try connectLoopback(port: server.port)
            sockets.append(fd)
            let text = "GET /poll/\(i) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            _ = text.withCString { send(fd, $0, strlen($0), 0) }
        }
        try await eventually(timeout: .seconds(30), "\(count) requests suspended (now \(server.inFlight))") {
            server.inFlight == count
        }
        let threadsHeld = try threadCount()
        #expect(threadsHeld - threadsBefore < 64, "threads went from \(threadsBefore) to \(threadsHeld)")
        gate.open()
        let held = sockets
        let answered = try await offPool { () -> Int in
            var answered = 0
            for (i, fd) in held.enumerated() {
                var timeout = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var data = [UInt8]()
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n <= 0 { break }
                    data.append(contentsOf: buffer[0..<n])
                }
                let text = String(decoding: data, as: UTF8.self)
                if text.hasPrefix("HTTP/1.1 200"), text.hasSuffix("released /poll/\(i)") { answered += 1 }
            }
            return answered
        }
        #expect(answered == count)
        await server.stop()
    }

    @Test func stopCancelsHeldRequests() async throws {
        let server = try HTTPServer { _ in
            try? await Task.sleep(for: .seconds(60))
            return .text(Task.isCancelled ? "cancelled" : "slept")
        }
        let fd = try connectLoopback(port: server.port)
        defer { close(fd) }
        _ = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".withCString { send(fd, $0, strlen($0), 0) }
        try await eventually(timeout: .seconds(10), "request held") { server.inFlight == 1 }
        let clock = ContinuousClock()
        let start = clock.now
        await server.stop()
        #expect(clock.now - start < .seconds(5))
    }
}

func connectLoopback(port: UInt16) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if result != 0 {
        close(fd)
        throw HTTPServerError("connect to 127.0.0.1:\(port) failed: errno \(errno)")
    }
    return fd
}

/// Holds every waiter until `open()`.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiters.append(c)
                return false
            }
            if resumeNow { c.resume() }
        }
    }
    func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }
}

final class ManagedCounter: Sendable {
    private let total = Mutex(0)
    func add(_ n: Int) { total.withLock { $0 += n } }
    var value: Int { total.withLock { $0 } }
}

@Suite struct HTTPServerPartsTests {
    /// A body in parts (shared buffers, read into a small connection buffer piece by piece) arrives
    /// byte for byte, twice on one keep-alive connection, with the right Content-Length.
    @Test func aBodyInPartsArrivesWhole() async throws {
        let dir = try TempDirectory()
        var seed: UInt64 = 42
        func bytes(_ n: Int) -> [UInt8] {
            (0..<n).map { _ in
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: seed >> 33)
            }
        }
        let head = Array("{\"start\":".utf8)
        let parts = [bytes(70_000), [], bytes(1), bytes(200_003), Array("}".utf8)]
        let expected = head + parts.joined()
        let server = try HTTPServer(HTTPServerOptions(maxHeaderBytes: 16 << 10)) { _ in
            HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], body: head, parts: parts)
        }
        defer { Task { await server.stop() } }
        let url = "http://127.0.0.1:\(server.port)/parts"
        let out = try await offPool {
            try Shell.check(
                "curl -s -o \(dir("a")) -w '%{http_code} %{size_download} %{num_connects}\\n' \(url) -o \(dir("b")) -w '%{http_code} %{size_download} %{num_connects}\\n' \(url)")
        }
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines == ["200 \(expected.count) 1", "200 \(expected.count) 0"], "second request on the same connection: \(out)")
        for name in ["a", "b"] {
            let got = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir(name))))
            #expect(got == expected, "\(name): \(got.count) bytes, expected \(expected.count)")
        }
    }
}
