/// A snapshot of the simulator: totals and, per (service, revision), how far it got.
public struct FleetStats: Sendable, Codable, Hashable {
    /// Simulated servers.
    public var agents: Int
    /// Agents whose first long poll went out (the ramp).
    public var started: Int
    /// Agents that got at least one desired state.
    public var answered: Int
    /// Long polls outstanding now (sent, not answered).
    public var waiting: Int
    /// Sockets open to the controller now (long polls and the shared pool).
    public var connectionsOpen: Int
    /// Connections established since the start (keep-alive keeps this near agents + pool).
    public var connects: Int
    public var requestsSent: Int
    /// Responses by status class: "2xx", "3xx", "4xx", "5xx".
    public var responses: [String: Int]
    /// Responses other than 200, by exact status ("404": 3).
    public var statuses: [String: Int]
    /// What went wrong, by description ("GET desired: 404 unknown server"), with counts; at most 100 kinds.
    public var problems: [String: Int]
    /// Report POSTs sent, and the service reports they carried.
    public var reportsSent: Int
    public var reportItems: Int
    /// Blob GETs answered 200 (the cache is process-wide: each blob is fetched once).
    public var blobsFetched: Int
    public var blobBytes: Int
    /// Desired-state bodies decoded with JSONDecoder, and those served from the decode cache.
    public var desiredDecoded: Int
    public var desiredCacheHits: Int
    /// Connects refused, resets, timeouts, malformed answers.
    public var connectionErrors: Int
    /// Report POST latency on the wire (from the moment a pool connection took it to the answer),
    /// over the last 65,536 reports.
    public var reportLatencyP50Ms: Double?
    public var reportLatencyP99Ms: Double?
    /// How long reports waited for a free pool connection (p99): high means `--report-connections`
    /// limits the load, not the controller.
    public var reportQueueP99Ms: Double?
    /// Requests (reports, blobs) waiting for a pool connection now.
    public var poolWaiting: Int
    /// Agents in backoff after an error now.
    public var backingOff: Int
    public var elapsedSeconds: Double
    /// Every (service, revision) seen, in first-told order.
    public var revisions: [RevisionProgress]

    /// The progress of `revision` (a full SHA or a prefix) of `service`, if any server was told it.
    public func progress(service: String, revision: String) -> RevisionProgress? {
        revisions.first { $0.service == service && $0.revision.hasPrefix(revision) }
    }
}
