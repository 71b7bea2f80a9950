import Foundation
import TideCore
import TideHTTP
import TideLog

/// The controller's HTTP surface: agent protocol, operator API, forge webhooks, `/metrics` and
/// `/healthz`, over a `ControllerBackend`. It does authentication, JSON, body limits, metrics and
/// request logging, and nothing else; every decision is the backend's.
///
/// Serve it with `HTTPServer(ControllerAPI.serverOptions(host:port:), handler: api.handler)`.
/// Immutable and `Sendable`; the handler may run on any task.
public struct ControllerAPI: Sendable {
    /// The server's body limit (`HTTPServerOptions.maxBodyBytes`): forge push events can be large.
    /// A larger body is refused with 413 by `HTTPServer` before any of it is read.
    public static let maxBodyBytes = 8 << 20
    /// An agent report larger than this is refused with 413 (reports are a few hundred bytes).
    public static let maxReportBytes = 1 << 20
    /// `wait` of a blocking query when the agent gives none, and the most it may ask for.
    public static let defaultWait: Duration = .seconds(60)
    public static let maxWait: Duration = .seconds(300)
    /// `limit` of list endpoints when none is given, and the largest accepted.
    public static let defaultLimit = 50
    public static let maxLimit = 1000

    let backend: any ControllerBackend
    let agentToken: [UInt8]?
    let operatorTokens: OperatorTokens?
    let webhook: PushWebhook?
    let metrics: TideMetrics
    /// Encodes blocking-query answers, each bundle's JSON once.
    let desiredEncoder = DesiredStateEncoder()

    /// `agentToken` nil: agents are not authenticated. `operatorTokens` nil: reads are open and
    /// writes refused. `webhook` nil: `/hooks/*` answers 404. Logs a warning for each of the first two.
    public init(
        backend: any ControllerBackend, agentToken: String?, operatorTokens: OperatorTokens?, webhook: PushWebhook?,
        metrics: TideMetrics
    ) {
        self.backend = backend
        self.agentToken = agentToken.map { Array($0.utf8) }
        self.operatorTokens = operatorTokens
        self.webhook = webhook
        self.metrics = metrics
        if agentToken == nil {
            Log.warning(
                "api.agents_unauthenticated",
                ["hint": "any client can read desired state and blobs and send reports; set --agent-token-file"])
        }
        if operatorTokens == nil {
            Log.warning(
                "api.operator_tokens_missing",
                ["hint": "operator reads are open and every write is refused; set --operator-tokens"])
        }
    }

    /// Server options with the API's body limit; change `tls*`, `connectionLimit` etc. on the result.
    ///
    /// 8 polling threads, so that answering one request never walks every held long poll (see
    /// `HTTPServer`), and 16 KiB per connection for the request line and headers (agents send a few
    /// hundred bytes; a forge's webhook a few KiB): libmicrohttpd keeps that pool for the connection's
    /// whole life, and 10,000 agents hold 10,000 connections.
    public static func serverOptions(host: String, port: UInt16) -> HTTPServerOptions {
        HTTPServerOptions(host: host, port: port, maxBodyBytes: maxBodyBytes, maxHeaderBytes: 16 << 10, threads: 8)
    }

    /// Reads the agent token file: its content without surrounding whitespace; an error names the file.
    public static func readAgentToken(contentsOf path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HTTPServerError("agent token file \(path): cannot be read (missing, or no permission)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw HTTPServerError("agent token file \(path): is empty") }
        return token
    }

    /// The routes, each wrapped to note its pattern for metrics and logs.
    public var router: HTTPRouter {
        var r = HTTPRouter()
        func add(_ method: String, _ pattern: String, _ handler: @escaping HTTPRouter.Handler) {
            r.add(method, pattern) { request in
                RouteNote.current?.set(pattern: pattern)
                do {
                    return try await handler(request)
                } catch let e as ControllerError {
                    return .error(e.status, e.error, detail: e.detail)
                }
            }
        }
        let api = self
        add("GET", "/healthz") { _ in .text("ok\n") }
        add("GET", "/metrics") { _ in
            HTTPResponse(
                status: 200, headers: [("Content-Type", MetricsRegistry.contentType)],
                body: Array(api.metrics.render().utf8))
        }
        add("GET", "/v1/agents/{server}/desired") { try await api.desired($0) }
        add("GET", "/v1/blobs/{id}") { try await api.blob($0) }
        add("POST", "/v1/agents/{server}/report") { try await api.report($0) }

        add("GET", "/api/v1/status") { try await api.status($0) }
        add("GET", "/api/v1/rollouts") { try await api.rollouts($0) }
        add("GET", "/api/v1/rollouts/{id}") { try await api.rollout($0) }
        add("GET", "/api/v1/servers") { try await api.servers($0) }
        add("GET", "/api/v1/history") { try await api.history($0) }
        add("GET", "/api/v1/audit") { try await api.audit($0) }
        for (name, command) in [
            ("pause", RolloutEvent.Command.pause), ("resume", .resume), ("abort", .abort), ("promote", .promote),
        ] {
            add("POST", "/api/v1/rollouts/{id}/\(name)") { try await api.command($0, name, command) }
        }
        add("POST", "/api/v1/revert") { try await api.revert($0) }
        add("POST", "/api/v1/services/{service}/release") { try await api.release($0) }

        add("POST", "/hooks/{forge}") { try await api.hook($0) }
        return r
    }

    /// The `HTTPServer` handler: request id, routing, `tide_http_requests_total`, one log line.
    public var handler: @Sendable (HTTPRequest) async -> HTTPResponse {
        let router = self.router
        let metrics = self.metrics
        return { incoming in
            let clock = ContinuousClock()
            let start = clock.now
            var request = incoming
            request.id = RequestID.from(header: incoming.header(RequestID.header))
            let note = RouteNote()
            var response = await RouteNote.$current.withValue(note) { await router.handle(request) }
            response.headers.append((RequestID.header, request.id))
            let (pattern, level) = note.value
            let route = pattern ?? "unmatched"
            metrics.recordRequest(route: route, code: response.status)
            Log.request(
                id: request.id, method: request.method, route: route, path: request.path, status: response.status,
                duration: clock.now - start, remote: request.remoteAddress.isEmpty ? nil : request.remoteAddress,
                level: level)
            return response
        }
    }
}
