/// A milestone of one (service, revision): the first server, each further 10% of the service's
/// servers, and the last one. One JSON line of `--events`.
public struct FleetEvent: Sendable, Codable, Hashable {
    /// Unix time in seconds (millisecond precision).
    public var t: Double
    public var event: FleetPhase
    public var service: String
    public var revision: String
    /// Servers that reached `event` for this revision so far.
    public var count: Int
    /// Servers that hold the service (any revision) when the event happened: the 100% mark.
    public var of: Int

    public init(t: Double, event: FleetPhase, service: String, revision: String, count: Int, of: Int) {
        self.t = t
        self.event = event
        self.service = service
        self.revision = revision
        self.count = count
        self.of = of
    }
}
