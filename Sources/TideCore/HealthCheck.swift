/// How an agent decides that a service is healthy after a change.
public struct HealthCheck: Hashable, Sendable, Codable {
    public enum Probe: Hashable, Sendable, Codable {
        /// Run through `/bin/sh -c`; exit 0 is healthy.
        case command(String)
        /// GET this URL; a 2xx is healthy.
        case http(String)
    }

    public var probe: Probe
    public var interval: Duration
    public var timeout: Duration
    public var retries: Int

    public init(probe: Probe, interval: Duration = .seconds(5), timeout: Duration = .seconds(3), retries: Int = 3) {
        self.probe = probe
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
    }
}
