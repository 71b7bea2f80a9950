import Foundation
import Testing
import TideCore
import TideTestSupport

@testable import TideLoadgen

/// The simulator's own HTTP/1.1 client (epoll, non-blocking sockets) against a real libmicrohttpd
/// server on 127.0.0.1, and its response parser on bytes cut at every point.
@Suite struct HTTPClientTests {
    final class Box<T>: @unchecked Sendable {
        // Safe: the value is only touched on the loop thread after creation.
        let value: T
        init(_ value: T) { self.value = value }
    }

    func send(_ loop: EventLoop, _ connection: Box<HTTPConnection>, _ request: String) async -> Result<HTTPReply, LoadgenError> {
        await withCheckedContinuation { continuation in
            loop.execute { connection.value.send(Array(request.utf8), timeout: 5) { continuation.resume(returning: $0) } }
        }
    }

    @Test func keepAliveCarriesManyRequestsOnOneConnection() async throws {
        let controller = try MiniController(token: "t")
        let loop = try EventLoop()
        loop.start()
        defer { loop.stop() }
        let recorder = StatsRecorder(agents: 1) { _ in }
        let address = try ControllerAddress(url: controller.url)
        let connection = Box(HTTPConnection(loop: loop, address: address, recorder: recorder))
        for _ in 0..<5 {
            let reply = try await send(loop, connection, "GET /hello HTTP/1.1\r\nHost: \(address.hostHeader)\r\n\r\n").get()
            #expect(reply.status == 200)
            #expect(String(decoding: reply.body, as: UTF8.self) == "hello\n")
            #expect(!reply.chunked, "libmicrohttpd answers buffers with Content-Length")
        }
        let stats = recorder.snapshot()
        #expect(stats.connects == 1, "five requests, one connection")
        #expect(stats.requestsSent == 5)
        await controller.stop()
    }

    @Test func refusedConnectFailsQuicklyWithTheReason() async throws {
        let port = try GitDaemon.freePort()
        let loop = try EventLoop()
        loop.start()
        defer { loop.stop() }
        let recorder = StatsRecorder(agents: 1) { _ in }
        let connection = Box(HTTPConnection(loop: loop, address: try ControllerAddress(url: "http://127.0.0.1:\(port)"), recorder: recorder))
        let result = await send(loop, connection, "GET / HTTP/1.1\r\n\r\n")
        guard case .failure(let error) = result else {
            Issue.record("a connect to a closed port succeeded")
            return
        }
        #expect(error.description.contains("refused"), "\(error)")
        #expect(recorder.snapshot().connectionErrors == 1)
    }

    @Test func parsesContentLengthChunkedAndCloseDelimitedBodiesCutAnywhere() {
        let cases: [(String, String, Bool)] = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "hello", false),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n", "hello, world", false),
            ("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n", "abc", false),
            ("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 2\r\n\r\nno", "no", true),
        ]
        for (text, body, closes) in cases {
            let bytes = Array(text.utf8)
            for cut in 0..<bytes.count {
                if case .complete = ResponseParser.parse(Array(bytes[0..<cut])) {
                    Issue.record("complete after \(cut) of \(bytes.count) bytes: \(text.debugDescription)")
                }
            }
            guard case .complete(let reply, let consumed) = ResponseParser.parse(bytes + Array("HTTP/1.1".utf8)) else {
                Issue.record("not parsed: \(text.debugDescription)")
                continue
            }
            #expect(String(decoding: reply.body, as: UTF8.self) == body)
            #expect(reply.closes == closes)
            #expect(consumed == bytes.count, "the next response's bytes stay in the buffer")
        }
        // No length: the body runs to the close.
        let open = Array("HTTP/1.0 200 OK\r\n\r\nuntil close".utf8)
        if case .complete = ResponseParser.parse(open) { Issue.record("complete before EOF") }
        guard case .complete(let reply, _) = ResponseParser.parse(open, eof: true) else {
            Issue.record("no body at EOF")
            return
        }
        #expect(String(decoding: reply.body, as: UTF8.self) == "until close")
        if case .malformed = ResponseParser.parse(Array("SMTP 220 hi\r\n\r\n".utf8)) {} else { Issue.record("garbage accepted") }
        if case .malformed = ResponseParser.parse(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8)) {} else {
            Issue.record("bad chunk size accepted")
        }
    }

    @Test func agentsBackOffWhileRefusedThenReconnectAcrossServerRestarts() async throws {
        let port = try GitDaemon.freePort()
        let names = (1...10).map { "app-\($0)" }
        var options = FleetSimulatorOptions(controller: "http://localhost:\(port)", servers: names, token: "secret")
        options.wait = .seconds(2)
        options.retryMax = .milliseconds(300)
        options.heartbeat = .seconds(1)
        options.duration = .seconds(60)
        options.reportConnections = 2
        let sim = try FleetSimulator(options)
        sim.start()
        try await eventually("refused connects and agents in backoff") {
            let s = sim.stats()
            return s.connectionErrors >= 10 && s.backingOff > 0
        }
        #expect(sim.stats().answered == 0)

        var controller = try MiniController(port: UInt16(port), token: "secret")
        let v1 = String(repeating: "1", count: 40)
        controller.publish("v1\n", revision: v1)
        #expect(await sim.waitUntil(service: "app", revision: v1, phase: .healthy, count: 10, timeout: .seconds(20)) != nil)
        try await eventually("reports of v1 healthy from every agent") {
            Set(controller.reports.filter { $0.revision == v1 && $0.phase == .healthy }.map(\.bundle)).count == 1
                && controller.reports.filter { $0.phase == .healthy }.count >= 10
        }

        // The server goes away mid-run and comes back on the same port with new content.
        await controller.stop()
        try await eventually("agents see the server gone") { sim.stats().backingOff > 0 || sim.stats().waiting < 10 }
        controller = try MiniController(port: UInt16(port), token: "secret")
        let v2 = String(repeating: "2", count: 40)
        // Past the index the agents hold (2), as a restarted controller's index is.
        controller.publish("v2\n", revision: v2)
        controller.publish("v2\n", revision: v2)
        #expect(await sim.waitUntil(service: "app", revision: v2, phase: .healthy, count: 10, timeout: .seconds(20)) != nil)
        #expect(sim.holding(service: "app", revision: v2) == 10)
        try await eventually("every long poll held on the new server") { sim.stats().waiting == 10 }
        let stats = sim.stats()
        #expect(stats.blobsFetched == 2)
        await sim.stop()
        await controller.stop()
    }

    @Test func refusesAnythingButLoopback() throws {
        #expect(throws: LoadgenError.self) { try ControllerAddress(url: "http://10.1.2.3:7070") }
        #expect(throws: LoadgenError.self) { try ControllerAddress(url: "http://example.com:7070") }
        #expect(throws: LoadgenError.self) { try ControllerAddress(url: "https://127.0.0.1:7070") }
        #expect(throws: LoadgenError.self) { try ControllerAddress(url: "http://127.0.0.1") }
        #expect(try ControllerAddress(url: "http://localhost:7070").host == "127.0.0.1")
        #expect(try ControllerAddress(url: "http://[::1]:7070").host == "::1")
        #expect(throws: LoadgenError.self) {
            try FleetSimulator(FleetSimulatorOptions(controller: "http://192.168.1.1:80", servers: ["a"], token: ""))
        }
    }

    @Test func saysWhenTheDescriptorLimitIsTooLow() throws {
        let limit = FleetSimulator.raiseDescriptorLimit()
        let names = (0..<(limit + 1)).map { "s\($0)" }
        do {
            _ = try FleetSimulator(FleetSimulatorOptions(controller: "http://127.0.0.1:1", servers: names, token: ""))
            Issue.record("\(names.count) agents accepted with RLIMIT_NOFILE \(limit)")
        } catch {
            #expect("\(error)".contains("file descriptors"), "\(error)")
        }
    }

    @Test func commandLineNamesAndFlags() throws {
        #expect(try LoadgenCommandLine.names("web-%05d", count: 2) == ["web-00001", "web-00002"])
        #expect(try LoadgenCommandLine.names("db%d.eu", count: 1) == ["db1.eu"])
        #expect(throws: LoadgenError.self) { try LoadgenCommandLine.names("a-%d-%d", count: 2) }
        #expect(throws: LoadgenError.self) { try LoadgenCommandLine.names("plain", count: 2) }
        do {
            _ = try LoadgenCommandLine(["--help"])
            Issue.record("--help parsed as options")
        } catch let error as LoadgenError {
            #expect(error.isHelp && error.description.hasPrefix("usage: tide-loadgen"))
        }
        let dir = try TempDirectory("tide-loadgen-cli")
        let token = try dir.write("token", "s3cret\n")
        let line = try LoadgenCommandLine([
            "--controller", "http://127.0.0.1:7070", "--token-file", token, "--names", "web-%03d", "--count", "3",
            "--heartbeat=5s", "--fail-marker", "BROKEN", "--fail-servers", "web-00*", "--report-connections", "4",
            "--duration", "2m", "--events", "e.jsonl",
        ])
        #expect(line.options.servers == ["web-001", "web-002", "web-003"])
        #expect(line.options.token == "s3cret")
        #expect(line.options.heartbeat == .seconds(5))
        #expect(line.options.duration == .seconds(120))
        #expect(line.options.reportConnections == 4)
        #expect(line.options.failServers == "web-00*")
        #expect(line.eventsPath == "e.jsonl")
        #expect(throws: LoadgenError.self) { try LoadgenCommandLine(["--controller", "http://127.0.0.1:1", "--bogus", "1"]) }
        #expect(throws: LoadgenError.self) { try LoadgenCommandLine(["--controller", "http://127.0.0.1:1"]) }
    }
}
