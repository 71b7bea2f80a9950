/// What to simulate and how hard: the controller, the servers, the timing and the failures.
public struct FleetSimulatorOptions: Sendable {
    /// `http://127.0.0.1:PORT` (or `::1`, `localhost`); anything else is refused.
    public var controller: String
    /// One simulated agent per name.
    public var servers: [String]
    /// The agent token (sent as `Authorization: Bearer`).
    public var token: String
    /// The long poll's `wait` (the controller holds at most 60s).
    public var wait: Duration = .seconds(60)
    /// Every agent re-reports its current phases this often (jittered ±20%).
    public var heartbeat: Duration = .seconds(30)
    /// Backoff after an error: 0.5s doubling up to this, jittered between half and all.
    public var retryMax: Duration = .seconds(30)
    /// Keep-alive connections shared by every agent's reports and blob fetches.
    public var reportConnections: Int = 64
    /// Long-poll connections opened per second at start.
    public var rampPerSecond: Int = 2000
    /// Hard stop after this long (nil: until `stop()`).
    public var duration: Duration? = .seconds(600)
    /// Timeout of a report or blob request.
    public var requestTimeout: Duration = .seconds(30)
    /// Write each server's files under `disk/<server>/<target>` (temp file + rename); nil: in memory.
    public var disk: String?
    /// A bundle with a file whose content contains this text is reported `unhealthy`.
    public var failMarker: String?
    /// A bundle of a revision starting with this SHA prefix is reported `unhealthy`.
    public var failRevision: String?
    /// Only servers whose name matches this glob (fnmatch, e.g. `web-0*`) fail; nil: all of them.
    public var failServers: String?
    /// Each server's long poll comes from its own loopback address (127.1.0.1, 127.1.0.2, …), as in a
    /// real fleet; false: all from 127.0.0.1 (the kernel's port search then costs much CPU at 10,000).
    public var distinctSourceAddresses: Bool = true
    /// Called (on the simulator's thread: return quickly) at each milestone of each (service, revision).
    public var onEvent: (@Sendable (FleetEvent) -> Void)?

    public init(controller: String, servers: [String], token: String) {
        self.controller = controller
        self.servers = servers
        self.token = token
    }
}
