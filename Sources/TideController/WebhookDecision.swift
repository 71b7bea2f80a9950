/// What to do with one forge webhook call: the HTTP layer answers `statusCode` and acts on it.
public enum WebhookDecision: Sendable, Equatable {
    /// A push to the watched branch: fetch now. Answer 202.
    case fetch(PushEvent)
    /// A valid call that needs nothing (another branch, a tag, a ping, another event). Answer 200.
    case ignore(reason: String)
    /// Missing or bad signature: answer 401 and write the reason to the audit log.
    case reject(reason: String)
    /// Signed, but the body is not a push event we can read. Answer 400.
    case malformed(reason: String)

    /// The HTTP status to answer.
    public var statusCode: Int {
        switch self {
        case .fetch: 202
        case .ignore: 200
        case .reject: 401
        case .malformed: 400
        }
    }

    /// A short word for logs and the `tide_webhooks_total{decision}` label.
    public var name: String {
        switch self {
        case .fetch: "fetch"
        case .ignore: "ignore"
        case .reject: "reject"
        case .malformed: "malformed"
        }
    }

    /// The reason, or for a fetch the branch and revision, for the response body and the logs.
    public var detail: String {
        switch self {
        case .fetch(let e): "push to \(e.branch ?? e.ref) at \(e.after)"
        case .ignore(let r), .reject(let r), .malformed(let r): r
        }
    }
}
