/// One rollout: one revision of one service moving over the servers whose bundle changes, in waves.
public struct Rollout: Hashable, Sendable, Codable {
    /// Where the rollout is in DESIGN.md's lifecycle.
    public enum State: String, Hashable, Sendable, Codable {
        case pending, verifying, baking, paused, succeeded, aborted, superseded, failed, reverting, reverted, held

        /// A terminal rollout never changes again.
        public var isTerminal: Bool {
            switch self {
            case .succeeded, .aborted, .superseded, .reverted, .held: return true
            case .pending, .verifying, .baking, .paused, .failed, .reverting: return false
            }
        }
    }

    /// A server's part in the rollout. Failed, timed out and offline are kept apart.
    public enum ServerStatus: String, Hashable, Sendable, Codable {
        /// Its wave has not been released yet.
        case waiting
        /// Not heard from for `offlineAfter` when its wave was released: skipped, not a failure.
        case offline
        /// Given the new bundle; no healthy report yet.
        case released
        case healthy
        /// Reported `failed` or `unhealthy` on the new bundle: a failure.
        case failed
        /// No healthy report within `waveTimeout`: a failure.
        case timedOut
    }

    /// One server of the rollout.
    public struct Member: Hashable, Sendable, Codable {
        public var server: String
        public var bundle: String
        public var lastGoodBundle: String
        /// 0-based wave the server belongs to.
        public var wave: Int
        public var status: ServerStatus
        /// Why it failed or timed out, or the report's detail.
        public var reason: String?
    }

    public var id: String
    public var service: String
    public var revision: String
    public var lastGoodRevision: String?
    public var kind: NewRevision.Kind
    public var policy: RolloutPolicy
    public var commits: [String]
    /// The lifecycle state; `paused` is a separate flag so a paused rollout keeps verifying and baking.
    public var state: State
    public var paused: Bool
    /// More failures than `maxFailures` allows: nothing more is ever released in this rollout.
    public var breached: Bool
    /// 0-based wave in which the breach happened.
    public var breachWave: Int?
    /// Servers in rollout order.
    public var members: [Member]
    /// Cumulative server counts per wave (`WavePlanner.cumulativeTargets`).
    public var waveEnds: [Int]
    /// 0-based current wave; -1 before the first release.
    public var wave: Int
    public var waveReleasedAt: Int64
    public var bakeUntil: Int64?
    /// The wave whose bake `promote` skipped.
    public var promotedWave: Int?
    public var startedAt: Int64
    public var endedAt: Int64?
    public var released = 0
    public var healthy = 0
    public var failed = 0
    public var timedOut = 0
    public var offline = 0
    /// Released servers of the current wave still without a healthy or failing answer.
    public var unresolvedInWave = 0
    var index: [String: Int]

    init(id: String, revision: NewRevision, members: [Member], at: Int64) {
        self.id = id
        self.service = revision.service
        self.revision = revision.revision
        self.lastGoodRevision = revision.lastGoodRevision
        self.kind = revision.kind
        self.policy = revision.policy
        self.commits = revision.commits
        self.state = .pending
        self.paused = false
        self.breached = false
        self.members = members
        self.waveEnds = WavePlanner.cumulativeTargets(total: members.count, waves: revision.policy.waves)
        self.wave = -1
        self.waveReleasedAt = at
        self.startedAt = at
        var index: [String: Int] = [:]
        for (i, m) in members.enumerated() { index[m.server] = i }
        self.index = index
        for i in self.members.indices {
            self.members[i].wave = self.waveEnds.firstIndex { i < $0 } ?? 0
        }
    }

    /// The state shown to people: `paused` when paused by hand or by `onFailure: pause`.
    public var displayState: State { paused && !state.isTerminal && state != .reverting ? .paused : state }

    /// Failures counted toward `maxFailures`: failed plus timed out, each server once.
    public var failures: Int { failed + timedOut }

    /// The member for `server`, if it is in this rollout.
    public func member(_ server: String) -> Member? { index[server].map { members[$0] } }

    /// Servers given the new bundle so far (whatever their status since).
    public var releasedMembers: [Member] {
        members.filter { $0.status != .waiting && $0.status != .offline }
    }
}
