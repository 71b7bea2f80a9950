/// A new revision of one service, as the controller hands it to the `RolloutEngine`.
public struct NewRevision: Hashable, Sendable, Codable {
    /// Why this revision exists: an ordinary change, a revert made by a person, or one made by Tide.
    public enum Kind: String, Hashable, Sendable, Codable {
        case change
        /// A `git revert` pushed by a person (recognised by its `This reverts commit` line).
        case manualRevert
        /// A revert Tide made and pushed after a breach.
        case tideRevert

        /// Reverts roll out with the rollback policy and never trigger another revert.
        public var isRevert: Bool { self != .change }
    }

    /// One server the revision places the service on, with its target and its last good bundle.
    public struct Placement: Hashable, Sendable, Codable {
        public var server: String
        /// The bundle id this revision gives the server (the empty bundle's id when the service leaves it).
        public var bundle: String
        /// The bundle id of the last good revision on this server (the empty bundle's id when none).
        public var lastGoodBundle: String

        public init(server: String, bundle: String, lastGoodBundle: String) {
            self.server = server
            self.bundle = bundle
            self.lastGoodBundle = lastGoodBundle
        }
    }

    public var service: String
    /// Full Git SHA of the revision.
    public var revision: String
    /// The last good revision's SHA, when there is one (shown in notices and the audit log).
    public var lastGoodRevision: String?
    /// Every server of the service in `WavePlanner.order`; the engine picks those whose bundle changes.
    public var placements: [Placement]
    /// Commits that changed the service since its last good revision, newest first (what a revert undoes).
    public var commits: [String]
    public var kind: Kind
    /// The policy to roll out with (the service's `rollout`, or its `rollback` for reverts).
    public var policy: RolloutPolicy
    /// The commit carries `Tide-Retry: true`: quarantined bundles may be released again.
    public var retry: Bool

    public init(
        service: String, revision: String, lastGoodRevision: String? = nil, placements: [Placement],
        commits: [String] = [], kind: Kind = .change, policy: RolloutPolicy, retry: Bool = false
    ) {
        self.service = service
        self.revision = revision
        self.lastGoodRevision = lastGoodRevision
        self.placements = placements
        self.commits = commits
        self.kind = kind
        self.policy = policy
        self.retry = retry
    }
}
