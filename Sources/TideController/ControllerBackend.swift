import TideCore

/// What the HTTP routes ask of the running controller. The reconciler implements it; the routes
/// (`ControllerAPI`) do authentication, JSON, limits, metrics and logging, and nothing else.
public protocol ControllerBackend: Sendable {
    // Agents.

    /// True when `server` is in the inventory of the current (or last good) config.
    func isKnownServer(_ server: String) async -> Bool
    /// The blocking query: answers when `server`'s index moves past `index`, or when `wait` ends.
    func desired(server: String, after index: UInt64, wait: Duration) async -> AgentProtocol.DesiredState
    /// A blob's bytes by its SHA-256 id, or nil when no bundle in use has it.
    func blob(_ id: String) async -> [UInt8]?
    /// An agent's report; throws `ControllerError` (400) for a service the server does not run.
    func report(server: String, _ report: AgentProtocol.Report) async throws

    // Operators (read).

    func status() async -> OperatorAPI.Status
    func rollouts(service: String?, limit: Int) async -> OperatorAPI.Rollouts
    func rollout(id: String) async -> RolloutSummary?
    func servers() async -> OperatorAPI.Servers
    func history(limit: Int) async -> OperatorAPI.History
    func audit(service: String?, limit: Int) async -> OperatorAPI.Audit

    // Operators (write). `actor` is the token's name; every call is audited by the backend.

    func command(rollout id: String, _ command: RolloutEvent.Command, actor: String) async throws
        -> OperatorAPI.CommandResult
    func release(service: String, revision: String, actor: String) async throws -> OperatorAPI.CommandResult
    func revert(commit: String, reason: String?, actor: String) async throws -> OperatorAPI.RevertResult

    // Webhooks.

    /// A forge said the branch moved: fetch now (coalesced).
    func fetchSoon(cause: String)
    /// A webhook call with a bad or missing signature, for the audit log.
    func webhookRejected(forge: String, remote: String, detail: String) async
}

/// An error the backend answers a request with; `status` is the HTTP status code.
public struct ControllerError: Error, CustomStringConvertible, Sendable {
    public var status: Int
    public var error: String
    public var detail: String?

    public init(_ status: Int, _ error: String, detail: String? = nil) {
        self.status = status
        self.error = error
        self.detail = detail
    }

    public var description: String { "\(error)" + (detail.map { ": \($0)" } ?? "") }

    public static func notFound(_ what: String) -> ControllerError { ControllerError(404, "not found", detail: what) }
    public static func badRequest(_ why: String) -> ControllerError { ControllerError(400, "bad request", detail: why) }
    public static func conflict(_ why: String) -> ControllerError { ControllerError(409, "conflict", detail: why) }
}
