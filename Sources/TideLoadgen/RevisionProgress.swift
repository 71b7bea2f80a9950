/// How far one revision of one service got through the simulated fleet. Times are Unix seconds.
public struct RevisionProgress: Sendable, Codable, Hashable {
    public var service: String
    public var revision: String
    /// Servers told / applied / healthy / unhealthy for this revision (each server counted once per
    /// time it moved to the revision; a server told twice without leaving it counts once).
    public var told: Int
    public var applied: Int
    public var healthy: Int
    public var unhealthy: Int
    /// Servers whose applied bundle came from this revision right now.
    public var holding: Int
    public var firstTold: Double?
    public var lastTold: Double?
    public var firstApplied: Double?
    public var lastApplied: Double?
    public var lastHealthy: Double?
    public var lastUnhealthy: Double?

    public init(service: String, revision: String) {
        self.service = service
        self.revision = revision
        told = 0
        applied = 0
        healthy = 0
        unhealthy = 0
        holding = 0
    }
}
