/// One step of a rollout: a cumulative count of servers, or a percent of the affected servers.
public enum WaveSize: Hashable, Sendable, Codable, CustomStringConvertible {
    case count(Int)
    case percent(Double)

    /// How many of `total` servers this step reaches: rounded up, at least one, never more than all.
    public func cumulativeTarget(of total: Int) -> Int {
        guard total > 0 else { return 0 }
        let raw: Int
        switch self {
        case .count(let n): raw = n
        case .percent(let p): raw = Int((Double(total) * p / 100).rounded(.up))
        }
        return min(total, max(1, raw))
    }

    public var description: String {
        switch self {
        case .count(let n): return String(n)
        case .percent(let p): return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
        }
    }
}
