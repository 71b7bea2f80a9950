/// The agent protocol's JSON bodies (version 1; DESIGN.md "Agent protocol").
public enum AgentProtocol {
    /// `GET /v1/agents/{server}/desired?index=N&wait=D` answers this.
    public struct DesiredState: Hashable, Sendable, Codable {
        /// Grows whenever anything this server should hold changes.
        public var index: UInt64
        public var server: String
        /// Every service this server should run, by name, sorted. A service absent here must
        /// have its managed files removed; a present service with an empty bundle likewise.
        public var services: [DesiredService]
        /// Report every service's phase again at least this far apart (seconds), when longer than the
        /// agent's own `--heartbeat`: the controller spaces re-reports out as the fleet grows, so that
        /// 10,000 agents repeating what it already knows cost it little. Phase changes are still sent
        /// at once. Absent from older controllers.
        public var heartbeatSeconds: Int?

        /// The blocking query's `ETag` for a state at `index` asking for `heartbeat`: `"<index>"`, or
        /// `"<index>-<heartbeat>"` when a heartbeat is asked. The asked heartbeat is part of it, so an
        /// agent holding the state under an older heartbeat is answered in full (200), not 304.
        public static func etag(index: UInt64, heartbeat: Int?) -> String {
            heartbeat.map { "\"\(index)-\($0)\"" } ?? "\"\(index)\""
        }

        public var etag: String { Self.etag(index: index, heartbeat: heartbeatSeconds) }

        public init(index: UInt64, server: String, services: [DesiredService], heartbeatSeconds: Int? = nil) {
            self.index = index
            self.server = server
            self.services = services
            self.heartbeatSeconds = heartbeatSeconds
        }
    }

    public struct DesiredService: Hashable, Sendable, Codable {
        public var service: String
        /// The Git commit this bundle was built from (full SHA).
        public var revision: String
        public var bundle: Bundle

        public init(service: String, revision: String, bundle: Bundle) {
            self.service = service
            self.revision = revision
            self.bundle = bundle
        }
    }

    /// `POST /v1/agents/{server}/report` sends this.
    public struct Report: Hashable, Sendable, Codable {
        public var services: [ServiceReport]
        public init(services: [ServiceReport]) { self.services = services }
    }

    public enum Phase: String, Hashable, Sendable, Codable, CaseIterable {
        case applying, applied, healthy, unhealthy, failed, drifted
    }

    public struct ServiceReport: Hashable, Sendable, Codable {
        public var service: String
        /// The bundle this report is about (the one being applied, or held).
        public var bundle: String
        public var revision: String?
        public var phase: Phase
        public var detail: String?

        public init(service: String, bundle: String, revision: String? = nil, phase: Phase, detail: String? = nil) {
            self.service = service
            self.bundle = bundle
            self.revision = revision
            self.phase = phase
            self.detail = detail
        }
    }

    /// Every 4xx/5xx answer carries this.
    public struct ErrorBody: Hashable, Sendable, Codable {
        public var error: String
        public var detail: String?
        public init(error: String, detail: String? = nil) {
            self.error = error
            self.detail = detail
        }
    }
}
