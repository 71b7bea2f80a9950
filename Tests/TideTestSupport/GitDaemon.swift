import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real `git daemon` on 127.0.0.1 serving every repository under `basePath`, pushes allowed.
/// Started by `init`, stopped by `stop()` or when released.
///
///     let daemon = try GitDaemon(basePath: dir.path)
///     let url = daemon.url("fleet.git")   // git://127.0.0.1:<port>/fleet.git
public final class GitDaemon: @unchecked Sendable {
    // Safe: `process` is only touched in init and under `lock` in stop().
    public let basePath: String
    public let port: Int
    private let process: Process
    private let lock = NSLock()
    private var stopped = false

    /// Starts the daemon on a free port (or on `port`, e.g. to bring a stopped remote back at the same
    /// address) and returns once it accepts connections (or throws after `timeout`).
    public init(basePath: String, port fixedPort: Int? = nil, timeout: Duration = .seconds(20)) throws {
        self.basePath = basePath
        // Run git-daemon itself: `git daemon` forks it and would leave it listening when killed.
        let program = try Shell.check("git --exec-path").trimmingCharacters(in: .whitespacesAndNewlines) + "/git-daemon"
        var lastError: Error?
        for _ in 0..<5 {
            let port = try fixedPort ?? GitDaemon.freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = [
                "--reuseaddr", "--base-path=\(basePath)", "--export-all", "--enable=receive-pack",
                "--listen=127.0.0.1", "--port=\(port)", "--informative-errors", basePath,
            ]
            var env = ProcessInfo.processInfo.environment
            env["GIT_CONFIG_NOSYSTEM"] = "1"
            process.environment = env
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            do {
                try waitUntil(timeout: timeout, "git daemon accepting on 127.0.0.1:\(port)") {
                    if !process.isRunning { throw DaemonExited(port: port) }
                    return GitDaemon.accepts(port: port)
                }
                self.port = port
                self.process = process
                return
            } catch {
                // Most likely another process took the port between our probe and the daemon's bind.
                lastError = error
                GitDaemon.kill(process.processIdentifier)
            }
        }
        throw lastError ?? DaemonExited(port: 0)
    }

    struct DaemonExited: Error, CustomStringConvertible {
        var port: Int
        var description: String { "git daemon exited before listening on port \(port)" }
    }

    /// The git:// URL of `repository` (a path relative to `basePath`).
    public func url(_ repository: String) -> String { "git://127.0.0.1:\(port)/\(repository)" }

    /// Stops the daemon and waits for it to exit; safe to call twice.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        GitDaemon.kill(process.processIdentifier)
    }

    /// Kills `pid` and waits (bounded) until it is gone or a zombie. SIGKILL: a child started from a Swift
    /// task inherits a signal mask that blocks SIGTERM. Not `Process.waitUntilExit`, which can miss the exit.
    static func kill(_ pid: Int32) {
        _ = Glibc.kill(pid, SIGKILL)
        try? waitUntil(timeout: .seconds(10), "process \(pid) to exit") {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
        }
    }

    deinit { stop() }

    /// A TCP port on 127.0.0.1 free right now (bound to port 0, read back, closed).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    public static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }
}
