import Foundation
import Synchronization
import TideHTTP
import TideTestSupport

/// A real HTTP server on 127.0.0.1 (port 0) answering the operator API with canned JSON, recording every
/// request, so the real `tide` binary can be run against it.
final class CannedController: Sendable {
    /// One request as the server received it.
    struct Seen: Sendable {
        var method: String
        var path: String
        var query: [String: String]
        var authorization: String?
        var body: [UInt8]
    }

    /// The requests seen so far, shared with the server's handler.
    private final class RequestLog: Sendable {
        let seen = Mutex<[Seen]>([])
    }

    private let log: RequestLog
    let server: HTTPServer

    init(_ answer: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws {
        let log = RequestLog()
        self.log = log
        server = try HTTPServer(HTTPServerOptions(host: "127.0.0.1", port: 0)) { request in
            log.seen.withLock {
                $0.append(
                    Seen(
                        method: request.method, path: request.path, query: request.query,
                        authorization: request.header("authorization"), body: request.body))
            }
            return answer(request)
        }
    }

    var url: String { "http://127.0.0.1:\(server.port)" }
    var requests: [Seen] { log.seen.withLock { $0 } }

    func stop() async { await server.stop() }

    /// The `tide` binary built next to the test bundle by `swift build --build-tests`.
    static func tidePath() throws -> String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("tide").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw MissingBinary(description: "no tide binary near \(exe.path): run `swift build --build-tests`")
    }

    /// What a run of `tide` printed and how it exited.
    struct Run: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the real `tide` with `args` on a thread of its own (never a dispatch or cooperative-pool thread,
    /// which the server's handlers and the other tests need); TIDE_CONTROLLER and TIDE_TOKEN_FILE are
    /// cleared unless `environment` sets them. Output goes through files, so no pipe can fill up.
    static func tide(_ args: [String], environment: [String: String] = [:]) async throws -> Run {
        let binary = try tidePath()
        let dir = try TempDirectory("tide-cli-run")
        var env = ProcessInfo.processInfo.environment
        env["TIDE_CONTROLLER"] = ""
        env["TIDE_TOKEN_FILE"] = ""
        for (k, v) in environment { env[k] = v }
        let finalEnv = env
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try run(binary, args, finalEnv, dir) })
            }
            thread.start()
        }
    }

    private static func run(_ binary: String, _ args: [String], _ env: [String: String], _ dir: TempDirectory) throws
        -> Run
    {
        let outPath = dir("stdout")
        let errPath = dir("stderr")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            throw MissingBinary(description: "cannot open output files in \(dir.path)")
        }
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = args
        process.environment = env
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}

private struct MissingBinary: Error, CustomStringConvertible {
    var description: String
}
