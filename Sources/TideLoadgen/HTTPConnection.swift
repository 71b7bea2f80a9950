#if canImport(Glibc)
    import Glibc
#endif

/// One keep-alive HTTP/1.1 connection to the controller, non-blocking, driven by the event loop.
/// One request at a time (no pipelining). Connects lazily on the first request and again after
/// the server closed it; a request that finds a reused connection closed before any answer byte
/// is sent once more on a fresh connection (what HTTP clients do for a stale keep-alive socket).
final class HTTPConnection: EventHandler {
    typealias Completion = (Result<HTTPReply, LoadgenError>) -> Void

    private let loop: EventLoop
    private let address: ControllerAddress
    private let recorder: StatsRecorder
    private var fd: Int32 = -1
    private var connected = false
    private var outbound: [UInt8] = []
    private var written = 0
    private var inbound: [UInt8] = []
    private var pending: Completion?
    private var generation: UInt64 = 0
    private var requestsOnSocket = 0
    private var retriedStale = false
    private var isHead = false
    private var lastRequest: [UInt8] = []
    private var sentOnReusedSocket = false

    /// The loopback address this connection's socket is bound to (nil: the kernel picks, 127.0.0.1).
    private let source: UInt32?

    init(loop: EventLoop, address: ControllerAddress, recorder: StatsRecorder, source: UInt32? = nil) {
        self.source = address.isIPv6 ? nil : source
        self.loop = loop
        self.address = address
        self.recorder = recorder
    }

    deinit {
        // Only reached once unregistered (the loop holds registered connections), so just the fd.
        if fd >= 0 { Glibc.close(fd) }
    }

    /// A request is in flight.
    var isBusy: Bool { pending != nil }
    /// A socket is open (or opening).
    var isOpen: Bool { fd >= 0 }

    /// Sends `request` (the whole request's bytes) and calls `completion` on the loop thread
    /// with the response, or an error (connect failure, reset, timeout after `timeout` seconds).
    func send(_ request: [UInt8], timeout: Double, completion: @escaping Completion) {
        precondition(pending == nil, "one request at a time per connection")
        pending = completion
        outbound = request
        lastRequest = request
        written = 0
        retriedStale = false
        sentOnReusedSocket = fd >= 0 && requestsOnSocket > 0
        isHead = request.starts(with: Array("HEAD ".utf8))
        generation &+= 1
        let g = generation
        loop.schedule(after: timeout) { [weak self] in
            guard let self, self.generation == g, self.pending != nil else { return }
            self.fail("no answer within \(Int(timeout))s")
        }
        recorder.requestSent()
        start()
    }

    /// Closes the socket; a request in flight fails.
    func close() {
        if pending != nil { fail("closed by the simulator", count: false) } else { closeSocket() }
    }

    private func start() {
        if fd >= 0 {
            flush()
            return
        }
        let opened = address.connectNonBlocking(source: source)
        if opened < 0 {
            let reason = String(cString: strerror(-opened))
            // Report on the next turn of the loop, never from inside send().
            let g = generation
            loop.schedule(after: 0) { [weak self] in
                guard let self, self.generation == g, self.pending != nil else { return }
                self.fail("connect to \(self.address): \(reason)")
            }
            return
        }
        fd = opened
        connected = false
        requestsOnSocket = 0
        inbound.removeAll(keepingCapacity: false)
        if !loop.register(fd, self) {
            let g = generation
            loop.schedule(after: 0) { [weak self] in
                guard let self, self.generation == g, self.pending != nil else { return }
                self.fail("epoll_ctl: \(String(cString: strerror(errno)))")
            }
        }
        // EPOLLOUT arrives when the connect completes; the request is written then.
    }

    func handle(events: UInt32) {
        guard fd >= 0 else { return }
        if !connected {
            if events & (EventLoop.writable | EventLoop.error | EventLoop.hangUp) != 0 {
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                if err != 0 {
                    fail("connect to \(address): \(String(cString: strerror(err)))")
                    return
                }
                connected = true
                recorder.connectionOpened()
            } else {
                return
            }
        }
        if events & (EventLoop.readable | EventLoop.hangUp | EventLoop.error | EventLoop.peerClosed) != 0 {
            readAvailable()
            guard fd >= 0 else { return }
        }
        if events & EventLoop.writable != 0, written < outbound.count { flush() }
    }

    private func flush() {
        guard connected, fd >= 0 else { return }
        while written < outbound.count {
            let n = outbound.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + written, outbound.count - written, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                written += n
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                failOrRetry("write: \(String(cString: strerror(errno)))")
                return
            }
        }
        if written == outbound.count {
            outbound = []
            written = 0
            requestsOnSocket += 1
        }
    }

    private func readAvailable() {
        var eof = false
        while true {
            let n = loop.scratch.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                inbound.append(contentsOf: loop.scratch[0..<n])
                if n < loop.scratch.count { continue }
            } else if n == 0 {
                eof = true
                break
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                break
            } else {
                failOrRetry("read: \(String(cString: strerror(errno)))")
                return
            }
        }
        guard pending != nil else {
            // Nothing asked: an idle keep-alive socket the server closed (or stray bytes).
            if eof || !inbound.isEmpty { closeSocket() }
            return
        }
        if !inbound.isEmpty {
            switch ResponseParser.parse(inbound, eof: eof, headRequest: isHead) {
            case .incomplete: break
            case .malformed(let why):
                fail("bad response from \(address): \(why)")
                return
            case .complete(let reply, let consumed):
                inbound.removeFirst(consumed)
                let completion = pending!
                pending = nil
                generation &+= 1
                if reply.closes || eof || !inbound.isEmpty { closeSocket() }
                completion(.success(reply))
                return
            }
        }
        if eof {
            if inbound.isEmpty { failOrRetry("connection closed by the controller") } else { fail("connection closed mid-response") }
        }
    }

    /// A reused socket that dies before any answer byte: try once more on a new socket.
    private func failOrRetry(_ why: String) {
        if pending != nil, inbound.isEmpty, sentOnReusedSocket, !retriedStale {
            closeSocket()
            retriedStale = true
            sentOnReusedSocket = false
            outbound = lastRequest
            written = 0
            start()
            return
        }
        fail(why)
    }

    private func fail(_ why: String, count: Bool = true) {
        closeSocket()
        guard let completion = pending else { return }
        pending = nil
        generation &+= 1
        if count { recorder.connectionError() }
        completion(.failure(LoadgenError(why)))
    }

    private func closeSocket() {
        guard fd >= 0 else { return }
        loop.unregister(fd)
        Glibc.close(fd)
        fd = -1
        if connected { recorder.connectionClosed() }
        connected = false
        inbound = []
        requestsOnSocket = 0
    }
}
