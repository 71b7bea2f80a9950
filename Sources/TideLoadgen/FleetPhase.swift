/// A step of a (service, revision) through the simulated fleet, as the benchmark counts it.
public enum FleetPhase: String, Sendable, Codable, CaseIterable {
    /// The controller answered a server's long poll with this revision of the service.
    case told
    /// The server reported `applied` for it.
    case applied
    /// The server reported `healthy` for it.
    case healthy
    /// The server reported `unhealthy` for it (failure injection).
    case unhealthy
}
