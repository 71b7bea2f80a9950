/// How a service's change moves through its servers (DESIGN.md, "rollout").
public struct RolloutPolicy: Hashable, Sendable, Codable {
    public enum OnFailure: String, Hashable, Sendable, Codable { case revert, pause }

    /// Cumulative wave sizes; the last one is always treated as 100%.
    public var waves: [WaveSize]
    /// Label match for the servers that go first (canaries). Empty: none are preferred.
    public var first: [String: String]
    /// A label whose values are interleaved in the server order (e.g. zone).
    public var spreadBy: String?
    public var bake: Duration
    public var waveTimeout: Duration
    public var maxFailures: FailureThreshold
    public var offlineAfter: Duration
    public var onFailure: OnFailure

    public init(
        waves: [WaveSize] = [.count(1), .percent(10), .percent(50), .percent(100)],
        first: [String: String] = [:],
        spreadBy: String? = nil,
        bake: Duration = .seconds(60),
        waveTimeout: Duration = .seconds(300),
        maxFailures: FailureThreshold = .count(0),
        offlineAfter: Duration = .seconds(60),
        onFailure: OnFailure = .revert
    ) {
        self.waves = waves
        self.first = first
        self.spreadBy = spreadBy
        self.bake = bake
        self.waveTimeout = waveTimeout
        self.maxFailures = maxFailures
        self.offlineAfter = offlineAfter
        self.onFailure = onFailure
    }

    /// Built-in default for changes: `[1, 10%, 50%, 100%]`, bake 1m, timeout 5m, no failures, revert.
    public static let defaultRollout = RolloutPolicy()

    /// Built-in default for reverts: everything at once, no bake.
    public static let defaultRollback = RolloutPolicy(waves: [.percent(100)], bake: .zero)
}
