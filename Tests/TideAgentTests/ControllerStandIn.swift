import Foundation
import Synchronization
import TideCore
import TideHTTP

/// A small real controller for agent tests: serves a desired state the test sets, blobs, and records reports.
final class ControllerStandIn: Sendable {
    struct State {
        var index: UInt64 = 1
        var services: [String: [AgentProtocol.DesiredService]] = [:]
        var blobs: [String: [UInt8]] = [:]
        var reports: [(server: String, report: AgentProtocol.ServiceReport)] = []
        var blobRequests: [String] = []
    }

    let token: String
    let state = StateBox()
    private let server = Mutex<HTTPServer?>(nil)
    /// The port; kept across `stop()`/`start()` so agents find the controller again.
    let port: UInt16

    let tls: (certificate: String, key: String)?

    init(token: String = "agent-token", port: UInt16 = 0, tls: (certificate: String, key: String)? = nil) throws {
        self.token = token
        self.tls = tls
        let options = HTTPServerOptions(port: port, tlsCertificatePEM: tls?.certificate, tlsKeyPEM: tls?.key)
        let s = try HTTPServer(options, handler: Self.router(state: state, token: token).handler)
        self.port = s.port
        server.withLock { $0 = s }
    }

    var url: String { "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)" }

    /// Serves again on the same port after `stop()`.
    func start() throws {
        let s = try HTTPServer(HTTPServerOptions(port: port), handler: Self.router(state: state, token: token).handler)
        server.withLock { $0 = s }
    }

    func stop() async {
        let s = server.withLock { s -> HTTPServer? in
            defer { s = nil }
            return s
        }
        await s?.stop()
    }

    /// Sets what `server` should hold (its services), making blobs of the given contents.
    func setDesired(_ server: String, _ services: [AgentProtocol.DesiredService], blobs: [[UInt8]] = []) {
        state.withLock { s in
            for b in blobs { s.blobs[SHA256.hex(b)] = b }
            s.services[server] = services
            s.index += 1
        }
    }

    func reports(_ server: String, _ service: String) -> [AgentProtocol.ServiceReport] {
        state.withLock { $0.reports.filter { $0.server == server && $0.report.service == service }.map(\.report) }
    }

    func lastPhase(_ server: String, _ service: String) -> AgentProtocol.Phase? { reports(server, service).last?.phase }

    static func router(state: StateBox, token: String) -> HTTPRouter {
        var router = HTTPRouter()
        @Sendable func authorize(_ request: HTTPRequest) throws {
            guard request.bearerToken == token else {
                throw HTTPError(status: 401, error: "unauthorized", detail: "missing or wrong agent token")
            }
        }
        router.add("GET", "/v1/agents/{server}/desired") { request in
            try authorize(request)
            let name = request.parameters["server"]!
            guard state.withLock({ $0.services[name] != nil }) else {
                throw HTTPError(status: 404, error: "unknown server", detail: name)
            }
            let after = UInt64(request.query["index"] ?? "0") ?? 0
            let wait = DurationText.parse(request.query["wait"] ?? "0s") ?? .zero
            let clock = ContinuousClock()
            let deadline = clock.now + min(wait, .seconds(30))
            while true {
                let (index, services) = state.withLock { ($0.index, $0.services[name] ?? []) }
                if index > after || clock.now >= deadline || Task.isCancelled {
                    return .json(AgentProtocol.DesiredState(index: index, server: name, services: services))
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        router.add("GET", "/v1/blobs/{id}") { request in
            try authorize(request)
            let id = request.parameters["id"]!
            guard let bytes = state.withLock({ s -> [UInt8]? in
                s.blobRequests.append(id)
                return s.blobs[id]
            }) else { throw HTTPError(status: 404, error: "unknown blob", detail: id) }
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], body: bytes)
        }
        router.add("POST", "/v1/agents/{server}/report") { request in
            try authorize(request)
            let report = try request.decodeJSON(AgentProtocol.Report.self)
            let name = request.parameters["server"]!
            state.withLock { s in for r in report.services { s.reports.append((name, r)) } }
            return .json(["ok": true])
        }
        return router
    }
}

/// The stand-in's state, shared by its handlers and the test.
final class StateBox: Sendable {
    private let value = Mutex(ControllerStandIn.State())
    func withLock<R>(_ body: (inout ControllerStandIn.State) -> R) -> R { value.withLock { body(&$0) } }
}
