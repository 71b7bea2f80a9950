import Foundation
import TideCore
import TideHTTP

/// The operator API (DESIGN.md "Operator surface"): reads for viewers, rollout commands, revert and
/// release for operators. The actor passed to the backend is the token's name.
extension ControllerAPI {
    /// The token's name when the request may do `action` (which needs `role`); throws 401/403 otherwise.
    /// Reads (`role == .viewer`) are open when no tokens file is configured, and then answer nil.
    func authorizeOperator(_ request: HTTPRequest, needs role: OperatorRole, for action: String) throws -> String? {
        guard let operatorTokens else {
            if role == .viewer { return nil }
            throw HTTPError(
                status: 403, error: "forbidden",
                detail: "\(action) needs an operator token, and this controller has none configured: "
                    + "start it with --operator-tokens FILE (lines of `name role sha256(token)`)")
        }
        guard let token = request.bearerToken else {
            throw HTTPError(
                status: 401, error: "unauthorized",
                detail: "\(request.method) \(request.path): missing `Authorization: Bearer <operator token>`")
        }
        guard let entry = operatorTokens.authenticate(token) else {
            throw HTTPError(
                status: 401, error: "unauthorized",
                detail: "\(request.method) \(request.path): the token is not in the operator tokens file")
        }
        guard entry.role.allows(role) else {
            throw HTTPError(
                status: 403, error: "forbidden",
                detail: "\(action) needs role \(role.rawValue) or higher; token '\(entry.name)' has role \(entry.role.rawValue)")
        }
        return entry.name
    }

    /// `limit` from the query: default `defaultLimit`, 1...`maxLimit`, else 400.
    func limit(_ request: HTTPRequest) throws -> Int {
        guard let text = request.query["limit"] else { return Self.defaultLimit }
        guard let n = Int(text), n >= 1, n <= Self.maxLimit else {
            throw HTTPError(
                status: 400, error: "bad request", detail: "limit: expected an integer from 1 to \(Self.maxLimit), got '\(text)'")
        }
        return n
    }

    /// `service` from the query; nil when absent or empty.
    func serviceFilter(_ request: HTTPRequest) -> String? {
        guard let s = request.query["service"], !s.isEmpty else { return nil }
        return s
    }

    func status(_ request: HTTPRequest) async throws -> HTTPResponse {
        _ = try authorizeOperator(request, needs: .viewer, for: "reading status")
        return .json(await backend.status())
    }

    func rollouts(_ request: HTTPRequest) async throws -> HTTPResponse {
        _ = try authorizeOperator(request, needs: .viewer, for: "listing rollouts")
        let limit = try limit(request)
        return .json(await backend.rollouts(service: serviceFilter(request), limit: limit))
    }

    func rollout(_ request: HTTPRequest) async throws -> HTTPResponse {
        _ = try authorizeOperator(request, needs: .viewer, for: "reading a rollout")
        let id = request.parameters["id"] ?? ""
        guard let summary = await backend.rollout(id: id) else {
            throw HTTPError(status: 404, error: "not found", detail: "no rollout '\(id)'")
        }
        return .json(summary)
    }

    func servers(_ request: HTTPRequest) async throws -> HTTPResponse {
        _ = try authorizeOperator(request, needs: .viewer, for: "listing servers")
        return .json(await backend.servers())
    }

    func history(_ request: HTTPRequest) async throws -> HTTPResponse {
        _ = try authorizeOperator(request, needs: .viewer, for: "reading history")
        let limit = try limit(request)
        return .json(await backend.history(limit: limit))
    }

    func audit(_ request: HTTPRequest) async throws -> HTTPResponse {
        _ = try authorizeOperator(request, needs: .viewer, for: "reading the audit log")
        let limit = try limit(request)
        return .json(await backend.audit(service: serviceFilter(request), limit: limit))
    }

    /// `POST /api/v1/rollouts/{id}/pause|resume|abort|promote`; any body is ignored.
    func command(_ request: HTTPRequest, _ name: String, _ command: RolloutEvent.Command) async throws -> HTTPResponse {
        let actor = try authorizeOperator(request, needs: .operator, for: name) ?? ""
        let id = request.parameters["id"] ?? ""
        return .json(try await backend.command(rollout: id, command, actor: actor))
    }

    /// `POST /api/v1/revert` with `OperatorAPI.RevertRequest`.
    func revert(_ request: HTTPRequest) async throws -> HTTPResponse {
        let actor = try authorizeOperator(request, needs: .operator, for: "revert") ?? ""
        let body = try request.decodeJSON(OperatorAPI.RevertRequest.self)
        guard !body.commit.isEmpty else {
            throw HTTPError(status: 400, error: "bad request", detail: "commit: must not be empty")
        }
        return .json(try await backend.revert(commit: body.commit, reason: body.reason, actor: actor))
    }

    /// `POST /api/v1/services/{service}/release` with `OperatorAPI.ReleaseRequest`.
    func release(_ request: HTTPRequest) async throws -> HTTPResponse {
        let actor = try authorizeOperator(request, needs: .operator, for: "release") ?? ""
        let service = request.parameters["service"] ?? ""
        let body = try request.decodeJSON(OperatorAPI.ReleaseRequest.self)
        guard !body.revision.isEmpty else {
            throw HTTPError(status: 400, error: "bad request", detail: "revision: must not be empty")
        }
        return .json(try await backend.release(service: service, revision: body.revision, actor: actor))
    }
}
