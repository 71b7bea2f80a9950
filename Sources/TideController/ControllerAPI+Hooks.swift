import Foundation
import TideCore
import TideHTTP
import TideLog

/// `POST /hooks/{github|gitlab|gitea}`: forge push webhooks, checked by `PushWebhook`.
extension ControllerAPI {
    /// The answer of a webhook call that is not an error.
    struct HookAnswer: Codable {
        var decision: String
        var detail: String
    }

    func hook(_ request: HTTPRequest) async throws -> HTTPResponse {
        let name = request.parameters["forge"] ?? ""
        guard let forge = Forge(rawValue: name) else {
            throw HTTPError(
                status: 404, error: "not found", detail: "no webhook for forge '\(name)' (github, gitlab or gitea)")
        }
        guard let webhook else {
            throw HTTPError(
                status: 404, error: "webhooks not configured",
                detail: "start the controller with --webhook-secret-file FILE to accept \(forge.rawValue) webhooks")
        }
        let decision = webhook.decide(forge: forge, headers: request.headers, body: request.body)
        metrics.webhooks.inc([forge.rawValue, decision.name])
        var fields: [(String, Any)] = [
            (RequestID.field, request.id), ("forge", forge.rawValue), ("decision", decision.name),
            ("detail", decision.detail), ("remote", request.remoteAddress),
        ]
        switch decision {
        case .fetch(let push):
            if let pusher = push.pusher { fields.append(("pusher", pusher)) }
            if let delivery = push.delivery { fields.append(("delivery", delivery)) }
            Log.write(.info, "webhook.push", fields)
            backend.fetchSoon(cause: "webhook")
        case .ignore:
            Log.write(.debug, "webhook.ignored", fields)
        case .reject(let reason):
            Log.write(.warning, "webhook.rejected", fields)
            await backend.webhookRejected(forge: forge.rawValue, remote: request.remoteAddress, detail: reason)
            return .error(decision.statusCode, "webhook rejected", detail: reason)
        case .malformed(let reason):
            Log.write(.warning, "webhook.malformed", fields)
            return .error(decision.statusCode, "malformed webhook", detail: reason)
        }
        return .json(HookAnswer(decision: decision.name, detail: decision.detail), status: decision.statusCode)
    }
}
