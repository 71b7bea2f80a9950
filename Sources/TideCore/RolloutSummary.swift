/// A rollout as status pages and `tide rollouts` show it.
public struct RolloutSummary: Hashable, Sendable, Codable {
    /// One server's line.
    public struct ServerLine: Hashable, Sendable, Codable {
        public var server: String
        public var bundle: String
        /// 1-based wave.
        public var wave: Int
        public var status: Rollout.ServerStatus
        public var reason: String?
    }

    public var id: String
    public var service: String
    public var revision: String
    public var kind: NewRevision.Kind
    public var state: Rollout.State
    public var breached: Bool
    /// 1-based current wave (0 before the first release) and the number of waves.
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
    public var lines: [ServerLine]

    /// Summarises `rollout`.
    public init(_ rollout: Rollout) {
        id = rollout.id
        service = rollout.service
        revision = rollout.revision
        kind = rollout.kind
        state = rollout.displayState
        breached = rollout.breached
        wave = rollout.wave + 1
        waves = rollout.waveEnds.count
        servers = rollout.members.count
        released = rollout.released
        healthy = rollout.healthy
        failed = rollout.failed
        timedOut = rollout.timedOut
        offline = rollout.offline
        startedAt = rollout.startedAt
        endedAt = rollout.endedAt
        lines = rollout.members.map {
            ServerLine(server: $0.server, bundle: $0.bundle, wave: $0.wave + 1, status: $0.status, reason: $0.reason)
        }
    }
}
