/// What the controller needs to make and push a revert after a breach (issue 6).
public struct RevertRequest: Hashable, Sendable, Codable {
    /// One failed server and why, for the revert commit's trailers.
    public struct Failure: Hashable, Sendable, Codable {
        public var server: String
        public var reason: String
        public init(server: String, reason: String) {
            self.server = server
            self.reason = reason
        }
    }

    public var service: String
    /// The breached rollout (trailer `Tide-Rollout`).
    public var rollout: String
    /// The revision that breached.
    public var revision: String
    /// 1-based wave in which the breach happened (trailer `Tide-Wave`).
    public var wave: Int
    /// Commits to revert, newest first.
    public var commits: [String]
    /// Failed, timed-out servers with reasons, in rollout order (trailers `Tide-Failed`).
    public var failures: [Failure]

    public init(service: String, rollout: String, revision: String, wave: Int, commits: [String], failures: [Failure]) {
        self.service = service
        self.rollout = rollout
        self.revision = revision
        self.wave = wave
        self.commits = commits
        self.failures = failures
    }
}
