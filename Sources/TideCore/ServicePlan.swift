/// What a plan does to one service: the servers whose bundle changes, in waves, and the file changes.
public struct ServicePlan: Hashable, Sendable, Codable {
    public enum Change: String, Hashable, Sendable, Codable {
        /// The service is new at the target revision.
        case added
        /// It exists at both revisions and some servers' bundles differ.
        case changed
        /// It is gone at the target revision: its servers get the empty bundle (files removed).
        case removed
    }

    public var service: String
    public var change: Change
    /// Server names in rollout order, cut into waves (each wave lists only the servers it adds).
    public var waves: [[String]]
    /// Distinct file changes, sorted by target.
    public var files: [FileChange]
    /// Changes outside the files: reload or health commands.
    public var notes: [String]

    /// How many servers the rollout touches.
    public var affected: Int { waves.reduce(0) { $0 + $1.count } }

    public init(service: String, change: Change, waves: [[String]], files: [FileChange], notes: [String]) {
        self.service = service
        self.change = change
        self.waves = waves
        self.files = files
        self.notes = notes
    }
}
