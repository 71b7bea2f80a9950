import Foundation
import TideCore
import TideHTTP

/// The agent's side of the agent protocol: desired state, blobs, reports, with the bearer token.
struct ControllerConnection: Sendable {
    let base: String
    let server: String
    let token: String?
    let client: HTTPClient

    init(controller: String, server: String, token: String?) {
        var base = controller
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
        self.server = server
        self.token = token
        self.client = HTTPClient()
    }

    private var headers: [String: String] {
        var h = ["Accept": "application/json", "User-Agent": "tide-agent"]
        if let token { h["Authorization"] = "Bearer \(token)" }
        return h
    }

    private var serverPath: String {
        server.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? server
    }

    /// Blocks up to `wait` for a desired state whose index is past `index`. With `holding` (the ETag
    /// of the state the agent already has), a wait that ends with nothing new is answered `304 Not
    /// Modified` (nil here) instead of the whole state again.
    func desired(after index: UInt64, wait: Duration, holding: String? = nil) async throws -> AgentProtocol.DesiredState? {
        let url = "\(base)/v1/agents/\(serverPath)/desired?index=\(index)&wait=\(DurationText.format(wait))"
        var h = headers
        if let holding { h["If-None-Match"] = holding }
        let answer = try await call("GET", url, headers: h, timeout: wait + .seconds(30), notModified: holding != nil)
        if answer.status == 304 { return nil }
        do {
            return try answer.decode(AgentProtocol.DesiredState.self)
        } catch {
            throw AgentError(.protocolError, "GET \(url): the desired state is not valid JSON: \(error)")
        }
    }

    /// The content of blob `id`, as the controller sent it (the caller verifies the hash).
    func blob(_ id: String) async throws -> [UInt8] {
        try await call("GET", "\(base)/v1/blobs/\(id)", timeout: .seconds(120)).body
    }

    func report(_ report: AgentProtocol.Report) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var h = headers
        h["Content-Type"] = "application/json"
        _ = try await call(
            "POST", "\(base)/v1/agents/\(serverPath)/report", body: Array(try encoder.encode(report)), headers: h,
            timeout: .seconds(30))
    }

    private func call(
        _ method: String, _ url: String, body: [UInt8]? = nil, headers: [String: String]? = nil, timeout: Duration,
        notModified: Bool = false
    ) async throws -> HTTPClient.Response {
        let answer: HTTPClient.Response
        do {
            answer = try await client.send(method, url, headers: headers ?? self.headers, body: body, timeout: timeout)
        } catch {
            throw AgentError(.transport, "controller unreachable: \(error)")
        }
        switch answer.status {
        case 200..<300: return answer
        case 304 where notModified: return answer
        case 401, 403:
            throw AgentError(
                .unauthorized,
                "the controller refused this agent's token (\(answer.status)) on \(method) \(url): \(answer.errorText); "
                    + "check that --token-file holds the controller's agent token")
        case 404 where url.contains("/v1/agents/"):
            throw AgentError(
                .unknownServer, "the controller does not know server '\(server)' (404) on \(method) \(url): \(answer.errorText)")
        default:
            throw AgentError(.protocolError, "\(method) \(url) answered \(answer.status): \(answer.errorText)")
        }
    }
}
