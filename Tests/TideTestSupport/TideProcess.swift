import Foundation

/// A real `tide` process (the binary from the build directory), its stderr and stdout in a log file.
public final class TideProcess: @unchecked Sendable {
    // Safe: `process` is only started in init and signalled afterwards; Foundation's Process is thread-safe for that.
    public let process = Process()
    public let logPath: String
    public let arguments: [String]

    /// The `tide` binary next to the test bundle (or `TIDE_BINARY`).
    public static var binary: String {
        if let b = ProcessInfo.processInfo.environment["TIDE_BINARY"] { return b }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while dir.path != "/", !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("tide").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("tide").path
    }

    /// Starts `tide <arguments>`, logging to `logPath` (appending, so a restarted process keeps one log).
    public init(_ arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
        self.arguments = arguments
        self.logPath = logPath
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = FileHandle(forWritingAtPath: logPath)!
        log.seekToEndOfFile()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    public var isRunning: Bool { process.isRunning }

    /// SIGTERM, then waits (bounded) for the exit; returns the status.
    @discardableResult
    public func terminate(timeout: Duration = .seconds(20)) -> Int32 {
        if process.isRunning { process.terminate() }
        return waitForExit(timeout: timeout)
    }

    /// SIGKILL: the process dies wherever it is.
    public func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        _ = waitForExit(timeout: .seconds(10))
    }

    func waitForExit(timeout: Duration) -> Int32 {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning, clock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    deinit { if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }
}
