/// What an operator token may do: viewer reads; operator also pauses, resumes, aborts, promotes,
/// reverts and releases; admin may do everything.
public enum OperatorRole: String, Sendable, Codable, Comparable, CaseIterable {
    case viewer, `operator`, admin

    var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (a: OperatorRole, b: OperatorRole) -> Bool { a.rank < b.rank }

    /// True when this role includes everything `needed` allows.
    public func allows(_ needed: OperatorRole) -> Bool { self >= needed }
}
