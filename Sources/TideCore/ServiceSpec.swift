/// One service of the config repo (`services/<name>/service.yaml`), after validation.
public struct ServiceSpec: Hashable, Sendable, Codable {
    public var name: String
    public var selector: [String: String]
    public var files: [FileSpec]
    public var reload: String?
    public var health: HealthCheck?
    public var rollout: RolloutPolicy
    public var rollback: RolloutPolicy

    public init(
        name: String, selector: [String: String], files: [FileSpec] = [], reload: String? = nil,
        health: HealthCheck? = nil, rollout: RolloutPolicy = .defaultRollout,
        rollback: RolloutPolicy = .defaultRollback
    ) {
        self.name = name
        self.selector = selector
        self.files = files
        self.reload = reload
        self.health = health
        self.rollout = rollout
        self.rollback = rollback
    }
}
