/// A push of revert commits that the remote accepted.
public struct PushResult: Sendable, Hashable {
    /// The reverts as pushed (rebuilt on the final base when a retry happened).
    public var reverts: RevertResult
    /// How many pushes it took (1 when nobody raced us).
    public var attempts: Int
    /// The branch head on the remote now.
    public var head: String { reverts.head }
}
