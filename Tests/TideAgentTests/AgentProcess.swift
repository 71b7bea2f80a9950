import Foundation
import TideCore
import TideTestSupport

/// A real `tide agent` process (the binary from the build directory), its stderr in a file.
final class AgentProcess: @unchecked Sendable {
    // Safe: used from one test at a time.
    let process = Process()
    let logPath: String
    let root: String
    let stateDir: String

    static var binary: String {
        if let b = ProcessInfo.processInfo.environment["TIDE_BINARY"] { return b }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // Inside an .xctest bundle directory on some layouts.
        while dir.path != "/", !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("tide").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("tide").path
    }

    init(
        controller: String, name: String, dir: TempDirectory, token: String? = "agent-token", extra: [String] = [],
        environment: [String: String] = [:], logName: String = "agent"
    ) throws {
        root = dir("root")
        stateDir = dir("state")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var args = [
            "agent", "--controller", controller, "--name", name, "--state-dir", stateDir, "--root", root, "--wait", "2s",
            "--check-interval", "300ms", "--heartbeat", "1s", "--retry-max", "500ms",
        ]
        if let token {
            let tokenFile = dir("token-\(UUID().uuidString.prefix(6))")
            try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
            args += ["--token-file", tokenFile]
        }
        args += extra
        logPath = dir("\(logName)-\(UUID().uuidString.prefix(6)).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// SIGTERM, then waits for the exit; returns the status.
    @discardableResult
    func terminate() async throws -> Int32 {
        if process.isRunning { process.terminate() }
        try await eventually(timeout: .seconds(20), "agent exits after SIGTERM") { !process.isRunning }
        return process.terminationStatus
    }

    func kill9() async throws {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try await eventually(timeout: .seconds(10), "agent killed") { !process.isRunning }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Builds desired services for tests.
enum Fixture {
    static func file(_ target: String, _ text: String, mode: UInt32 = 0o644, owner: String? = nil) -> BundleFile {
        BundleFile(target: target, mode: mode, owner: owner, blob: SHA256.hex(Array(text.utf8)), size: text.utf8.count)
    }

    static func service(
        _ name: String, revision: String, files: [BundleFile], reload: String? = nil, health: HealthCheck? = nil
    ) -> AgentProtocol.DesiredService {
        AgentProtocol.DesiredService(
            service: name, revision: revision, bundle: TideCore.Bundle(service: name, files: files, reload: reload, health: health))
    }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    static func lines(_ path: String) -> Int { read(path)?.split(separator: "\n").count ?? 0 }
}
