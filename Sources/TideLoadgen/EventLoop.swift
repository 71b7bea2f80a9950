import Foundation
import Synchronization
import CEpoll

#if canImport(Glibc)
    import Glibc
#endif

/// One epoll thread that owns every socket and every timer of the simulator. Everything that
/// touches agents, connections or the blob cache runs on it; other threads hand it work with
/// `execute`, which wakes it through a pipe.
final class EventLoop: @unchecked Sendable {
    // Safe: every mutable field below is touched only on the loop thread, except `queued`
    // (a Mutex) and the wake pipe's write end (a write(2) is thread-safe).
    static let readable: UInt32 = 0x001
    static let writable: UInt32 = 0x004
    static let error: UInt32 = 0x008
    static let hangUp: UInt32 = 0x010
    static let peerClosed: UInt32 = 0x2000
    static let edgeTriggered: UInt32 = 1 << 31

    private let epfd: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let queued = Mutex<[@Sendable () -> Void]>([])
    private let stopping = Atomic<Bool>(false)
    /// Sockets by fd (the epoll data carries the fd).
    private var handlers: [EventHandler?] = []
    private var timers = TimerHeap()
    private var thread: Thread?
    private let finished = Mutex<Bool>(false)
    private let finishedCondition = NSCondition()
    /// Shared read buffer: one per loop, not one per connection.
    var scratch = [UInt8](repeating: 0, count: 256 << 10)
    /// Monotonic nanoseconds, updated at each wake-up.
    private(set) var now: UInt64 = EventLoop.monotonicNanoseconds()

    init() throws {
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        if epfd < 0 { throw LoadgenError("epoll_create1 failed: \(String(cString: strerror(errno)))") }
        var fds: [Int32] = [0, 0]
        if pipe(&fds) != 0 { throw LoadgenError("pipe failed: \(String(cString: strerror(errno)))") }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        var event = epoll_event()
        event.events = Self.readable
        event.data.fd = wakeRead
        _ = epoll_ctl(epfd, EPOLL_CTL_ADD, wakeRead, &event)
    }

    deinit {
        close(epfd)
        close(wakeRead)
        close(wakeWrite)
    }

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Starts the loop thread.
    func start(name: String = "tide-loadgen") {
        let t = Thread { [self] in self.run() }
        t.name = name
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    /// Runs `work` on the loop thread (from any thread).
    func execute(_ work: @escaping @Sendable () -> Void) {
        queued.withLock { $0.append(work) }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Asks the loop to return after the current iteration; `waitUntilFinished` blocks until it has.
    func stop() {
        stopping.store(true, ordering: .releasing)
        execute {}
    }

    func waitUntilFinished(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        finishedCondition.lock()
        defer { finishedCondition.unlock() }
        while !finished.withLock({ $0 }) {
            if !finishedCondition.wait(until: deadline) { return finished.withLock { $0 } }
        }
        return true
    }

    // MARK: loop-thread API

    /// Registers a socket (edge-triggered, read and write).
    func register(_ fd: Int32, _ handler: EventHandler) -> Bool {
        if Int(fd) >= handlers.count {
            handlers.append(contentsOf: [EventHandler?](repeating: nil, count: Int(fd) + 1024 - handlers.count))
        }
        handlers[Int(fd)] = handler
        var event = epoll_event()
        event.events = Self.readable | Self.writable | Self.peerClosed | Self.edgeTriggered
        event.data.fd = fd
        return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event) == 0
    }

    /// Forgets a socket; call before closing it.
    func unregister(_ fd: Int32) {
        if Int(fd) < handlers.count { handlers[Int(fd)] = nil }
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
    }

    /// Runs `action` on the loop thread after `seconds`.
    @discardableResult
    func schedule(after seconds: Double, _ action: @escaping () -> Void) -> TimerHeap.Token {
        let delay = UInt64(max(0, seconds) * 1e9)
        return timers.push(deadline: EventLoop.monotonicNanoseconds() + delay, action)
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 1024)
        while !stopping.load(ordering: .acquiring) {
            now = EventLoop.monotonicNanoseconds()
            var timeout: Int32 = 1000
            if let next = timers.nextDeadline {
                timeout = next <= now ? 0 : Int32(min(1000, (next - now + 999_999) / 1_000_000))
            }
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epfd, $0.baseAddress, 1024, timeout) }
            now = EventLoop.monotonicNanoseconds()
            if n > 0 {
                for i in 0..<Int(n) {
                    let fd = events[i].data.fd
                    let flags = events[i].events
                    if fd == wakeRead {
                        drainWake()
                        continue
                    }
                    if Int(fd) < handlers.count, let handler = handlers[Int(fd)] {
                        handler.handle(events: flags)
                    }
                }
            }
            runQueued()
            while let action = timers.popExpired(now: EventLoop.monotonicNanoseconds()) { action() }
        }
        runQueued()
        finishedCondition.lock()
        finished.withLock { $0 = true }
        finishedCondition.broadcast()
        finishedCondition.unlock()
    }

    private func drainWake() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(wakeRead, &buffer, 256) > 0 {}
    }

    private func runQueued() {
        let work = queued.withLock { q -> [@Sendable () -> Void] in
            defer { q.removeAll(keepingCapacity: true) }
            return q
        }
        for w in work { w() }
    }
}

/// A socket's owner on the loop: told which epoll events arrived.
protocol EventHandler: AnyObject {
    func handle(events: UInt32)
}
