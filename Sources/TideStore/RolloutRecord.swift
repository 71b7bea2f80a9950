/// A rollout's row in the store: what history and status pages list.
public struct RolloutRecord: Hashable, Sendable, Codable {
    public var id: String
    public var service: String
    public var revision: String
    public var kind: String
    public var state: String
    public var wave: Int
    public var waves: Int
    public var servers: Int
    public var released: Int
    public var healthy: Int
    public var failed: Int
    public var timedOut: Int
    public var offline: Int
    public var startedAt: Int64
    public var endedAt: Int64?
    public var updatedAt: Int64
}
