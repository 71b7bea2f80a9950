/// The operator API's JSON bodies (`/api/v1/...`), shared by the controller and the `tide` CLI.
/// Times are milliseconds since the Unix epoch.
public enum OperatorAPI {
    /// `GET /api/v1/status`.
    public struct Status: Hashable, Sendable, Codable {
        public var repo: String
        public var branch: String
        /// The branch head last fetched, and when.
        public var head: String?
        public var lastFetchAt: Int64?
        /// The last fetch failed: the source is stale since `lastFetchAt`.
        public var fetchError: String?
        public var servers: Int
        /// Agents heard from within `offlineAfter`.
        public var agentsConnected: Int
        public var services: [ServiceStatus]
        public var now: Int64

        public init(
            repo: String, branch: String, head: String?, lastFetchAt: Int64?, fetchError: String?, servers: Int,
            agentsConnected: Int, services: [ServiceStatus], now: Int64
        ) {
            self.repo = repo
            self.branch = branch
            self.head = head
            self.lastFetchAt = lastFetchAt
            self.fetchError = fetchError
            self.servers = servers
            self.agentsConnected = agentsConnected
            self.services = services
            self.now = now
        }
    }

    public struct ServiceStatus: Hashable, Sendable, Codable {
        public var service: String
        /// The newest revision seen for the service, and the last one that succeeded everywhere.
        public var revision: String?
        public var lastGoodRevision: String?
        public var servers: Int
        /// Servers whose last report is healthy on their target bundle.
        public var healthy: Int
        /// Set when nothing rolls out until a person acts.
        public var held: String?
        /// The current (or last) rollout, without its per-server lines.
        public var rollout: RolloutSummary?

        public init(
            service: String, revision: String?, lastGoodRevision: String?, servers: Int, healthy: Int, held: String?,
            rollout: RolloutSummary?
        ) {
            self.service = service
            self.revision = revision
            self.lastGoodRevision = lastGoodRevision
            self.servers = servers
            self.healthy = healthy
            self.held = held
            self.rollout = rollout
        }
    }

    /// `GET /api/v1/rollouts`: newest first, without per-server lines. `GET /api/v1/rollouts/{id}` gives one with them.
    public struct Rollouts: Hashable, Sendable, Codable {
        public var rollouts: [RolloutSummary]
        public init(rollouts: [RolloutSummary]) { self.rollouts = rollouts }
    }

    /// `GET /api/v1/servers`.
    public struct Servers: Hashable, Sendable, Codable {
        public var servers: [ServerStatus]
        public init(servers: [ServerStatus]) { self.servers = servers }
    }

    public struct ServerStatus: Hashable, Sendable, Codable {
        public var server: String
        public var labels: [String: String]
        public var lastSeen: Int64?
        public var services: [ServerService]

        public init(server: String, labels: [String: String], lastSeen: Int64?, services: [ServerService]) {
            self.server = server
            self.labels = labels
            self.lastSeen = lastSeen
            self.services = services
        }
    }

    public struct ServerService: Hashable, Sendable, Codable {
        public var service: String
        /// What the server should hold now.
        public var targetBundle: String?
        public var targetRevision: String?
        /// What it last reported.
        public var reportedBundle: String?
        public var phase: String?
        public var detail: String?
        public var reportedAt: Int64?

        public init(
            service: String, targetBundle: String?, targetRevision: String?, reportedBundle: String?, phase: String?,
            detail: String?, reportedAt: Int64?
        ) {
            self.service = service
            self.targetBundle = targetBundle
            self.targetRevision = targetRevision
            self.reportedBundle = reportedBundle
            self.phase = phase
            self.detail = detail
            self.reportedAt = reportedAt
        }
    }

    /// `POST /api/v1/revert` body: revert this commit (the controller makes and pushes the revert commit).
    public struct RevertRequest: Hashable, Sendable, Codable {
        public var commit: String
        public var reason: String?
        public init(commit: String, reason: String? = nil) {
            self.commit = commit
            self.reason = reason
        }
    }

    /// `POST /api/v1/revert` answer.
    public struct RevertResult: Hashable, Sendable, Codable {
        public var reverted: String
        public var revertCommit: String
        public init(reverted: String, revertCommit: String) {
            self.reverted = reverted
            self.revertCommit = revertCommit
        }
    }

    /// `POST /api/v1/services/{service}/release` body: let a held revision roll out.
    public struct ReleaseRequest: Hashable, Sendable, Codable {
        public var revision: String
        public init(revision: String) { self.revision = revision }
    }

    /// The answer of pause, resume, abort, promote and release.
    public struct CommandResult: Hashable, Sendable, Codable {
        public var ok: Bool
        public var message: String
        public var rollout: RolloutSummary?
        public init(ok: Bool, message: String, rollout: RolloutSummary?) {
            self.ok = ok
            self.message = message
            self.rollout = rollout
        }
    }

    /// `GET /api/v1/history`: revisions of the branch, newest first, with their rollouts.
    public struct History: Hashable, Sendable, Codable {
        public var revisions: [HistoryEntry]
        public init(revisions: [HistoryEntry]) { self.revisions = revisions }
    }

    public struct HistoryEntry: Hashable, Sendable, Codable {
        public var revision: String
        public var subject: String
        public var author: String
        public var time: Int64
        /// Each rollout this revision started: service, id, state.
        public var rollouts: [HistoryRollout]

        public init(revision: String, subject: String, author: String, time: Int64, rollouts: [HistoryRollout]) {
            self.revision = revision
            self.subject = subject
            self.author = author
            self.time = time
            self.rollouts = rollouts
        }
    }

    public struct HistoryRollout: Hashable, Sendable, Codable {
        public var service: String
        public var rollout: String
        public var state: String
        public init(service: String, rollout: String, state: String) {
            self.service = service
            self.rollout = rollout
            self.state = state
        }
    }

    /// `GET /api/v1/audit?service=S&limit=N`: newest first.
    public struct Audit: Hashable, Sendable, Codable {
        public var entries: [AuditRecord]
        public init(entries: [AuditRecord]) { self.entries = entries }
    }

    public struct AuditRecord: Hashable, Sendable, Codable {
        public var seq: Int64
        public var at: Int64
        /// Who: a token's name, a commit's author, or `tide` for automatic actions.
        public var actor: String
        public var action: String
        public var service: String?
        public var fromRevision: String?
        public var toRevision: String?
        public var detail: String

        public init(
            seq: Int64, at: Int64, actor: String, action: String, service: String?, fromRevision: String?,
            toRevision: String?, detail: String
        ) {
            self.seq = seq
            self.at = at
            self.actor = actor
            self.action = action
            self.service = service
            self.fromRevision = fromRevision
            self.toRevision = toRevision
            self.detail = detail
        }
    }
}
