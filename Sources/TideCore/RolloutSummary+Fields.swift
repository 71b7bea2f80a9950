extension RolloutSummary {
    /// A summary from stored fields, for rollouts older than the engine keeps (no per-server lines).
    public init(
        id: String, service: String, revision: String, kind: NewRevision.Kind, state: Rollout.State, breached: Bool,
        wave: Int, waves: Int, servers: Int, released: Int, healthy: Int, failed: Int, timedOut: Int, offline: Int,
        startedAt: Int64, endedAt: Int64?
    ) {
        self.id = id
        self.service = service
        self.revision = revision
        self.kind = kind
        self.state = state
        self.breached = breached
        self.wave = wave
        self.waves = waves
        self.servers = servers
        self.released = released
        self.healthy = healthy
        self.failed = failed
        self.timedOut = timedOut
        self.offline = offline
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.lines = []
    }
}
