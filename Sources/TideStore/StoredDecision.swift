import TideCore

/// A decision as the store holds it: persisted `pending` before it is performed, `done` after.
public struct StoredDecision: Hashable, Sendable {
    public enum Status: String, Hashable, Sendable { case pending, done }

    public var id: Int64
    /// The event that produced it.
    public var eventSeq: Int64
    public var at: Int64
    public var decision: RolloutDecision
    public var status: Status
    public var doneAt: Int64?
    public var outcome: String?
}
