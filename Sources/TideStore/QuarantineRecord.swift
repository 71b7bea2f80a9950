/// A bundle remembered as bad because a rollout that gave it breached (issue 6 item 3).
public struct QuarantineRecord: Hashable, Sendable, Codable {
    public var service: String
    public var bundle: String
    public var rollout: String
    public var revision: String
    public var reason: String
    public var at: Int64
}
