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

    /// Runs the real `tide` with `args`, off the cooperative pool so the server's handlers keep running;
    /// TIDE_CONTROLLER and TIDE_TOKEN_FILE are cleared unless `environment` sets them.
    static func tide(_ args: [String], environment: [String: String] = [:]) async throws -> Shell.Result {
        let command = try ([tidePath()] + args).map(Shell.quote).joined(separator: " ")
        var env = ["TIDE_CONTROLLER": "", "TIDE_TOKEN_FILE": ""]
        for (k, v) in environment { env[k] = v }
        let finalEnv = env
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Shell.run(command, environment: finalEnv) })
            }
        }
    }
}

private struct MissingBinary: Error, CustomStringConvertible {
    var description: String
}
