import Foundation
import TideCore
import TideHTTP
import TideLog

/// The agent protocol (DESIGN.md "Agent protocol"): desired state, blobs, reports.
extension ControllerAPI {
    /// 401 unless the request carries the agent token (compared in constant time); open when none is configured.
    func authenticateAgent(_ request: HTTPRequest) throws {
        guard let agentToken else { return }
        guard let given = request.bearerToken else {
            throw HTTPError(
                status: 401, error: "unauthorized",
                detail: "\(request.method) \(request.path): missing `Authorization: Bearer <agent token>`")
        }
        guard HMACSHA256.constantTimeEqual(Array(given.utf8), agentToken) else {
            throw HTTPError(
                status: 401, error: "unauthorized",
                detail: "\(request.method) \(request.path): wrong agent token (the controller's --agent-token-file)")
        }
    }

    /// The `{server}` parameter, 404 when the inventory does not have it.
    func knownServer(_ request: HTTPRequest) async throws -> String {
        let server = request.parameters["server"] ?? ""
        guard await backend.isKnownServer(server) else {
            throw HTTPError(
                status: 404, error: "unknown server",
                detail: "server '\(server)' is not in the inventory (\(request.method) \(request.path))")
        }
        return server
    }

    /// `GET /v1/agents/{server}/desired?index=N&wait=D`: the blocking query.
    func desired(_ request: HTTPRequest) async throws -> HTTPResponse {
        try authenticateAgent(request)
        let server = try await knownServer(request)
        var index: UInt64 = 0
        if let text = request.query["index"] {
            guard let n = UInt64(text) else {
                throw HTTPError(
                    status: 400, error: "bad request", detail: "index: expected a non-negative integer, got '\(text)'")
            }
            index = n
        }
        var wait = Self.defaultWait
        if let text = request.query["wait"] {
            guard let d = DurationText.parse(text) else {
                throw HTTPError(
                    status: 400, error: "bad request", detail: "wait: expected a duration such as 60s or 5m, got '\(text)'")
            }
            wait = min(d, Self.maxWait)
        }
        metrics.blockingQueriesOpen.add([], 1)
        defer { metrics.blockingQueriesOpen.add([], -1) }
        let state = await backend.desired(server: server, after: index, wait: wait)
        RouteNote.current?.set(level: .debug)
        // The index (with the asked heartbeat) is the state's version: an agent that holds it
        // (If-None-Match) and whose wait ended with nothing new gets 304 and no body, not 100 KB it
        // already has, once a minute per agent.
        let etag = state.etag
        if state.index == index, let held = request.header("if-none-match"), held == etag {
            return HTTPResponse(status: 304, headers: [("ETag", etag)])
        }
        return HTTPResponse(
            status: 200, headers: [("Content-Type", "application/json"), ("ETag", etag)],
            parts: try desiredEncoder.encodeParts(state))
    }

    /// `GET /v1/blobs/{id}`: content by SHA-256; immutable, so cacheable forever.
    func blob(_ request: HTTPRequest) async throws -> HTTPResponse {
        try authenticateAgent(request)
        let id = request.parameters["id"] ?? ""
        guard id.utf8.count == 64, id.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw HTTPError(
                status: 400, error: "bad request", detail: "blob id must be 64 lower-case hex digits (SHA-256), got '\(id)'")
        }
        let etag = "\"\(id)\""
        let caching = [("Cache-Control", "public, max-age=31536000, immutable"), ("ETag", etag)]
        guard let bytes = await backend.blob(id) else {
            throw HTTPError(status: 404, error: "unknown blob", detail: "no bundle in use has blob \(id)")
        }
        if let match = request.header("if-none-match"), match == etag || match == "*" || match == id {
            return HTTPResponse(status: 304, headers: caching)
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream")] + caching, body: bytes)
    }

    /// `POST /v1/agents/{server}/report`: an agent's phases; 204 when taken.
    func report(_ request: HTTPRequest) async throws -> HTTPResponse {
        try authenticateAgent(request)
        let server = try await knownServer(request)
        guard request.body.count <= Self.maxReportBytes else {
            throw HTTPError(
                status: 413, error: "body too large",
                detail: "report of \(request.body.count) bytes, at most \(Self.maxReportBytes) accepted")
        }
        let report = try request.decodeJSON(AgentProtocol.Report.self)
        try await backend.report(server: server, report)
        return HTTPResponse(status: 204)
    }
}
