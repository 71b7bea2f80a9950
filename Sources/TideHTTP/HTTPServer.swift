import CMicroHTTPD
import Foundation
import Synchronization
import TideLog

/// An HTTP/1.1 server on libmicrohttpd that runs an async Swift handler per request.
///
/// libmicrohttpd's internal polling threads (epoll; `options.threads` of them, each owning its share
/// of the connections) own the sockets. Each complete request is suspended (`MHD_suspend_connection`),
/// handled in a Swift `Task`, and resumed when its response is ready, so a handler that waits (a long
/// poll) holds no thread: thousands can wait at once.
///
/// Why several polling threads on a small machine: libmicrohttpd walks a thread's whole list of
/// suspended connections whenever any of them is resumed. With 10,000 agents holding long polls on
/// one thread, every report answered cost a walk of 10,000 connections, and that walk was over half
/// of the thread's time (perf, docs/scale.md); with 8 threads each walk is an eighth as long and only
/// the thread that owns the resumed connection walks.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    /// The port the server listens on (the ephemeral one when the options said 0).
    public let port: UInt16
    public let options: HTTPServerOptions
    private let context: ServerContext
    private let daemon: Mutex<DaemonHandle?>
    private let listenFD: Int32

    /// Binds `options.host:options.port` and starts serving `handler`.
    public init(_ options: HTTPServerOptions = HTTPServerOptions(), handler: @escaping Handler) throws {
        self.options = options
        _ = tide_raise_nofile()
        let fd = tide_listen(options.host, options.port, 4096)
        if fd == -2 { throw HTTPServerError("cannot listen on \(options.host):\(options.port): host does not resolve") }
        if fd < 0 {
            throw HTTPServerError("cannot listen on \(options.host):\(options.port): \(String(cString: strerror(errno)))")
        }
        let context = ServerContext(handler: handler, maxBodyBytes: options.maxBodyBytes)
        let flags = tide_mhd_flag_internal_thread() | tide_mhd_flag_epoll() | tide_mhd_flag_suspend() | tide_mhd_flag_itc()
        let cls = Unmanaged.passUnretained(context).toOpaque()
        let started = tide_mhd_start(
            flags, fd, UInt32(options.connectionLimit), UInt32(options.idleTimeoutSeconds),
            options.maxHeaderBytes, UInt32(max(1, options.threads)), accessHandler, cls, requestCompleted, cls,
            options.tlsKeyPEM, options.tlsCertificatePEM)
        guard let started else {
            close(fd)
            throw HTTPServerError(
                "libmicrohttpd could not start on \(options.host):\(options.port)"
                    + (options.tlsCertificatePEM != nil ? " (check the TLS certificate and key)" : ""))
        }
        self.context = context
        self.listenFD = fd
        self.port = tide_bound_port(fd)
        self.daemon = Mutex(DaemonHandle(pointer: started))
        Log.debug("http.listening", ["host": options.host, "port": port, "tls": options.tlsCertificatePEM != nil])
    }

    /// Requests whose handler is running now (suspended connections).
    public var inFlight: Int { context.inFlight.withLock { $0.tasks.count } }

    /// Stops accepting, cancels running handlers and gives them up to `grace` to answer; any still
    /// running get a 503. Then stops the daemon. Safe to call more than once.
    public func stop(grace: Duration = .seconds(2)) async {
        guard let handle = daemon.withLock({ d -> DaemonHandle? in
            defer { d = nil }
            return d
        }) else { return }
        _ = MHD_quiesce_daemon(handle.pointer)
        let tasks = context.inFlight.withLock { $0.tasks.values.map { $0.task } }
        for task in tasks { task?.cancel() }
        let clock = ContinuousClock()
        let deadline = clock.now + grace
        while inFlight > 0, clock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        context.shutDown()
        MHD_stop_daemon(handle.pointer)
        close(listenFD)
    }

    deinit {
        if let handle = daemon.withLock({ $0 }) {
            _ = MHD_quiesce_daemon(handle.pointer)
            context.shutDown()
            MHD_stop_daemon(handle.pointer)
            close(listenFD)
        }
    }
}

/// The daemon pointer; only passed to libmicrohttpd calls that are thread-safe.
struct DaemonHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// Shared by the C callbacks (on libmicrohttpd's thread) and the handler tasks.
final class ServerContext: Sendable {
    let handler: HTTPServer.Handler
    let maxBodyBytes: Int
    let nextID = Atomic<UInt64>(1)
    /// Suspended requests by number, so `stop` can cancel their handlers and resume every connection
    /// (libmicrohttpd aborts if stopped with a connection still suspended).
    let inFlight = Mutex<InFlight>(InFlight())

    struct InFlight {
        var stopping = false
        var tasks: [UInt64: (state: RequestState, task: Task<Void, Never>?)] = [:]
    }

    /// Answers every still-suspended request with 503 and refuses new ones; called before MHD_stop_daemon.
    func shutDown() {
        let states = inFlight.withLock { f -> [RequestState] in
            f.stopping = true
            defer { f.tasks = [:] }
            return f.tasks.values.map { $0.state }
        }
        for state in states {
            state.finish(.error(503, "server stopping", detail: "the request was cancelled because the server is stopping"))
        }
    }

    init(handler: @escaping HTTPServer.Handler, maxBodyBytes: Int) {
        self.handler = handler
        self.maxBodyBytes = maxBodyBytes
    }
}

/// One connection's request in progress; lives in MHD's `con_cls` from first callback to completion.
final class RequestState: @unchecked Sendable {
    // Safe: `body`, `bodyBytes`, `tooLarge`, `started` are touched only on libmicrohttpd's thread;
    // `response` is guarded by its Mutex; `connection` is only used for MHD_resume_connection, which
    // libmicrohttpd documents as thread-safe.
    let number: UInt64
    var body: [UInt8] = []
    var bodyBytes = 0
    var tooLarge = false
    var started = false
    var connection: OpaquePointer?
    /// The answer, and whether the connection was resumed: it is resumed exactly once.
    let response = Mutex<(value: HTTPResponse?, resumed: Bool)>((nil, false))

    init(number: UInt64) { self.number = number }

    /// Stores the answer and resumes the connection, unless that already happened.
    func finish(_ answer: HTTPResponse) {
        response.withLock { r in
            guard !r.resumed else { return }
            r.value = answer
            r.resumed = true
            if let connection { MHD_resume_connection(connection) }
        }
    }
}

private let accessHandler: MHD_AccessHandlerCallback = {
    cls, connection, url, method, _, uploadData, uploadDataSize, conCls in
    guard let cls, let connection, let conCls, let uploadDataSize else { return MHD_Result.NO }
    let context = Unmanaged<ServerContext>.fromOpaque(cls).takeUnretainedValue()

    guard let raw = conCls.pointee else {
        // First call: headers are in. Refuse an announced oversized body before reading any of it.
        let number = context.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let state = RequestState(number: number)
        conCls.pointee = Unmanaged.passRetained(state).toOpaque()
        if let length = connectionValue(connection, MHD_ValueKind.HEADER_KIND, "Content-Length"), let n = Int(length),
            n > context.maxBodyBytes
        {
            state.tooLarge = true
            return queue(tooLargeResponse(context, n), on: connection, close: true)
        }
        return MHD_Result.YES
    }
    let state = Unmanaged<RequestState>.fromOpaque(raw).takeUnretainedValue()

    if uploadDataSize.pointee > 0 {
        let size = uploadDataSize.pointee
        state.bodyBytes += size
        if state.bodyBytes > context.maxBodyBytes {
            // A streamed (chunked) body over the limit: drop its bytes, answer 413 when it ends.
            state.tooLarge = true
            state.body = []
        } else if let uploadData {
            uploadData.withMemoryRebound(to: UInt8.self, capacity: size) {
                state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: size))
            }
        }
        uploadDataSize.pointee = 0
        return MHD_Result.YES
    }

    if state.tooLarge {
        return queue(tooLargeResponse(context, state.bodyBytes), on: connection, close: true)
    }
    if state.started {
        // Resumed: the handler has answered.
        guard let response = state.response.withLock({ $0.value }) else { return MHD_Result.NO }
        return queue(response, on: connection, close: false)
    }

    state.started = true
    var request = HTTPRequest(
        method: method.map { String(cString: $0) } ?? "GET",
        path: url.map { String(cString: $0) } ?? "/")
    request.headers = collect(connection, MHD_ValueKind.HEADER_KIND, lowercase: true)
    request.query = collect(connection, MHD_ValueKind.GET_ARGUMENT_KIND, lowercase: false)
    request.body = state.body
    state.body = []
    var address = [CChar](repeating: 0, count: 64)
    tide_mhd_client_address(connection, &address, address.count)
    request.remoteAddress = address.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    request.id = request.headers["x-request-id"] ?? String(state.number, radix: 36)
    state.connection = connection

    // Suspend and register under one lock, so `shutDown` never resumes a connection before its suspension.
    let suspended = context.inFlight.withLock { f -> Bool in
        guard !f.stopping else { return false }
        MHD_suspend_connection(connection)
        f.tasks[state.number] = (state, nil)
        return true
    }
    guard suspended else {
        return queue(.error(503, "server stopping"), on: connection, close: true)
    }
    let number = state.number
    let handler = context.handler
    let task = Task {
        let response = await handler(request)
        state.finish(response)
        _ = context.inFlight.withLock { $0.tasks.removeValue(forKey: number) }
    }
    context.inFlight.withLock { f in
        if f.tasks[number] != nil { f.tasks[number]?.task = task }
    }
    return MHD_Result.YES
}

private let requestCompleted: MHD_RequestCompletedCallback = { _, _, conCls, _ in
    guard let conCls, let raw = conCls.pointee else { return }
    Unmanaged<RequestState>.fromOpaque(raw).release()
    conCls.pointee = nil
}

private func tooLargeResponse(_ context: ServerContext, _ size: Int) -> HTTPResponse {
    .error(413, "body too large", detail: "\(size) bytes sent, at most \(context.maxBodyBytes) accepted")
}

private func queue(_ response: HTTPResponse, on connection: OpaquePointer, close: Bool) -> MHD_Result {
    let made: OpaquePointer?
    if response.parts.isEmpty {
        made = response.body.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), MHD_ResponseMemoryMode.RESPMEM_MUST_COPY)
        }
    } else {
        // Read part by part into the connection's write buffer: no joined copy of the body.
        let reader = BodyReader([response.body] + response.parts)
        let cls = Unmanaged.passRetained(reader).toOpaque()
        made = MHD_create_response_from_callback(UInt64(reader.total), 32 << 10, bodyRead, cls, bodyReleased)
        if made == nil { Unmanaged<BodyReader>.fromOpaque(cls).release() }
    }
    guard let mhdResponse = made else { return MHD_Result.NO }
    for (name, value) in response.headers { MHD_add_response_header(mhdResponse, name, value) }
    if close { MHD_add_response_header(mhdResponse, "Connection", "close") }
    let result = MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    MHD_destroy_response(mhdResponse)
    return result
}

/// A response body in parts, read by libmicrohttpd from `pos` on (in order, for one connection).
/// Safe: used by one connection's thread at a time; the parts never change.
private final class BodyReader: @unchecked Sendable {
    let parts: [[UInt8]]
    let total: Int
    /// Where the last read ended: the part and the offset in it, and the body position there.
    var part = 0
    var offset = 0
    var position = 0

    init(_ parts: [[UInt8]]) {
        self.parts = parts.filter { !$0.isEmpty }
        total = self.parts.reduce(0) { $0 + $1.count }
    }

    /// Copies up to `max` bytes from body position `pos` into `buffer`; returns how many (-1 at the end).
    func read(at pos: Int, into buffer: UnsafeMutableRawPointer, max: Int) -> Int {
        if pos != position {  // not where the last read ended: find the part again
            part = 0
            offset = 0
            position = 0
            while part < parts.count, position + parts[part].count <= pos {
                position += parts[part].count
                part += 1
            }
            offset = pos - position
            position = pos
        }
        var written = 0
        while written < max, part < parts.count {
            let n = parts[part].withUnsafeBytes { bytes -> Int in
                let n = min(max - written, bytes.count - offset)
                (buffer + written).copyMemory(from: bytes.baseAddress! + offset, byteCount: n)
                return n
            }
            written += n
            offset += n
            if offset == parts[part].count {
                part += 1
                offset = 0
            }
        }
        position += written
        return written > 0 ? written : -1
    }
}

private let bodyRead: MHD_ContentReaderCallback = { cls, pos, buffer, max in
    guard let cls, let buffer else { return -1 }
    let reader = Unmanaged<BodyReader>.fromOpaque(cls).takeUnretainedValue()
    return reader.read(at: Int(pos), into: UnsafeMutableRawPointer(buffer), max: max)
}

private let bodyReleased: MHD_ContentReaderFreeCallback = { cls in
    guard let cls else { return }
    Unmanaged<BodyReader>.fromOpaque(cls).release()
}

private func connectionValue(_ connection: OpaquePointer, _ kind: MHD_ValueKind, _ key: String) -> String? {
    MHD_lookup_connection_value(connection, kind, key).map { String(cString: $0) }
}

/// Collects one kind of connection values (headers or query arguments) into a dictionary.
private func collect(_ connection: OpaquePointer, _ kind: MHD_ValueKind, lowercase: Bool) -> [String: String] {
    let box = ValueBox(lowercase: lowercase)
    let cls = Unmanaged.passUnretained(box).toOpaque()
    _ = MHD_get_connection_values(connection, kind, valueIterator, cls)
    return box.values
}

/// Receives values from `MHD_get_connection_values`, synchronously on the calling thread.
private final class ValueBox {
    var values: [String: String] = [:]
    let lowercase: Bool
    init(lowercase: Bool) { self.lowercase = lowercase }
}

private let valueIterator: MHD_KeyValueIterator = { cls, _, key, value in
    guard let cls, let key else { return MHD_Result.YES }
    let box = Unmanaged<ValueBox>.fromOpaque(cls).takeUnretainedValue()
    let name = String(cString: key)
    box.values[box.lowercase ? name.lowercased() : name] = value.map { String(cString: $0) } ?? ""
    return MHD_Result.YES
}
