/// An input to the `RolloutEngine`. Times are milliseconds since the Unix epoch, passed in by the caller.
public enum RolloutEvent: Hashable, Sendable, Codable {
    /// What an operator asks of a rollout (or, for `release`, of a held service).
    public enum Command: Hashable, Sendable, Codable {
        case pause, resume, abort, promote
        /// Lets a revision held for a quarantined bundle roll out (`tide release SERVICE SHA`).
        case release(revision: String)
    }

    /// How the controller's attempt at a revert ended.
    public enum RevertOutcome: Hashable, Sendable, Codable {
        /// The revert commits are on the remote branch; `head` is the new branch head.
        case pushed(head: String)
        case conflicted(detail: String)
        case pushFailed(detail: String)
    }

    /// A new revision of a service.
    case revision(NewRevision, at: Int64)
    /// The service's config at `revision` is invalid: hold it.
    case invalidConfig(service: String, revision: String, detail: String, at: Int64)
    /// An agent's report about one service's bundle on one server (also counts as being heard from).
    case report(server: String, service: String, bundle: String, phase: AgentProtocol.Phase, detail: String?, at: Int64)
    /// A server was heard from (it polled for its desired state).
    case heard(server: String, at: Int64)
    /// The clock moved on.
    case tick(at: Int64)
    /// An operator's command on the service's current rollout.
    case command(service: String, Command, at: Int64)
    /// The result of a `RolloutDecision.startRevert` for `rollout`.
    case revertOutcome(service: String, rollout: String, RevertOutcome, at: Int64)

    /// The time the event carries.
    public var at: Int64 {
        switch self {
        case .revision(_, let at), .invalidConfig(_, _, _, let at), .report(_, _, _, _, _, let at),
            .heard(_, let at), .tick(let at), .command(_, _, let at), .revertOutcome(_, _, _, let at):
            return at
        }
    }
}
