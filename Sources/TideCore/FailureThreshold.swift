/// `maxFailures`: how many failed servers a rollout tolerates, as a count or a percent of released servers.
public enum FailureThreshold: Hashable, Sendable, Codable, CustomStringConvertible {
    case count(Int)
    case percent(Double)

    /// Failures allowed among `released` servers; a percent is rounded down ("5%" of 10 allows 0).
    public func allowed(released: Int) -> Int {
        switch self {
        case .count(let n): return n
        case .percent(let p): return Int((Double(released) * p / 100).rounded(.down))
        }
    }

    /// A breach is more failures than allowed.
    public func isBreached(failures: Int, released: Int) -> Bool { failures > allowed(released: released) }

    public var description: String {
        switch self {
        case .count(let n): return String(n)
        case .percent(let p): return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
        }
    }
}
