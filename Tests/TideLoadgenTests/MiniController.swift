import Foundation
import Synchronization
import TideCore
import TideHTTP

/// A stand-in for the controller's agent API on a real TideHTTP `HTTPServer` (libmicrohttpd on
/// 127.0.0.1): one service `app` whose single file's content the test sets; long polls are held
/// until the index moves or `wait` passes; reports are counted. For the client-level tests only.
final class MiniController: Sendable {
    struct State {
        var index: UInt64 = 1
        var content = "v1\n"
        var revision = String(repeating: "a", count: 40)
        var reports: [AgentProtocol.ServiceReport] = []
        var desiredRequests = 0
        /// Where long polls came from.
        var pollAddresses: Set<String> = []
    }

    final class Shared: Sendable {
        let state = Mutex(State())
    }

    let shared = Shared()
    let server: HTTPServer
    let token: String

    init(port: UInt16 = 0, token: String) throws {
        self.token = token
        let shared = self.shared
        var router = HTTPRouter()
        router.add("GET", "/v1/agents/{server}/desired") { request in
            guard request.bearerToken == token else { return .error(401, "unauthorized") }
            let after = UInt64(request.query["index"] ?? "0") ?? 0
            let wait = DurationText.parse(request.query["wait"] ?? "1s") ?? .seconds(1)
            let deadline = ContinuousClock.now + wait
            shared.state.withLock {
                $0.desiredRequests += 1
                $0.pollAddresses.insert(request.remoteAddress)
            }
            while shared.state.withLock({ $0.index }) <= after, ContinuousClock.now < deadline, !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(20))
            }
            let s = shared.state.withLock { $0 }
            let blob = SHA256.hex(s.content)
            let bundle = TideCore.Bundle(
                service: "app", files: [BundleFile(target: "/etc/app.conf", mode: 0o644, blob: blob, size: s.content.utf8.count)],
                reload: nil, health: nil)
            let name = request.parameters["server"] ?? ""
            return .json(
                AgentProtocol.DesiredState(
                    index: s.index, server: name,
                    services: [AgentProtocol.DesiredService(service: "app", revision: s.revision, bundle: bundle)]))
        }
        router.add("GET", "/v1/blobs/{id}") { request in
            let content = shared.state.withLock { $0.content }
            guard request.parameters["id"] == SHA256.hex(content) else { return .error(404, "no such blob") }
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], body: Array(content.utf8))
        }
        router.add("POST", "/v1/agents/{server}/report") { request in
            let report = try request.decodeJSON(AgentProtocol.Report.self)
            shared.state.withLock { $0.reports.append(contentsOf: report.services) }
            return .json(["ok": true])
        }
        router.add("GET", "/hello") { _ in .text("hello\n") }
        let routes = router
        server = try HTTPServer(HTTPServerOptions(host: "127.0.0.1", port: port)) { request in await routes.handle(request) }
    }

    var pollAddresses: Set<String> { shared.state.withLock { $0.pollAddresses } }

    /// Every service report received so far.
    var reports: [AgentProtocol.ServiceReport] { shared.state.withLock { $0.reports } }

    var url: String { "http://127.0.0.1:\(server.port)" }

    /// Publishes new content under a new revision: every waiting long poll is answered.
    func publish(_ content: String, revision: String) {
        shared.state.withLock {
            $0.content = content
            $0.revision = revision
            $0.index += 1
        }
    }

    func stop() async { await server.stop(grace: .milliseconds(200)) }
}
