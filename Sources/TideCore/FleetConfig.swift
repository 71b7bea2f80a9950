/// The whole config repo at one revision, validated: fleet defaults, inventory, services and their file contents.
public struct FleetConfig: Sendable {
    public var rolloutDefaults: RolloutPolicy
    public var rollbackDefaults: RolloutPolicy
    public var notify: [NotifyTarget]
    /// Servers in inventory order; names are unique.
    public var servers: [Server]
    /// Services by name.
    public var services: [String: ServiceSpec]
    /// Every service file's content by its path relative to the repo root
    /// (e.g. `services/web/files/nginx.conf`), directories already expanded.
    public var files: [String: [UInt8]]

    public init(
        rolloutDefaults: RolloutPolicy = .defaultRollout, rollbackDefaults: RolloutPolicy = .defaultRollback,
        notify: [NotifyTarget] = [], servers: [Server] = [], services: [String: ServiceSpec] = [:],
        files: [String: [UInt8]] = [:]
    ) {
        self.rolloutDefaults = rolloutDefaults
        self.rollbackDefaults = rollbackDefaults
        self.notify = notify
        self.servers = servers
        self.services = services
        self.files = files
    }
}
