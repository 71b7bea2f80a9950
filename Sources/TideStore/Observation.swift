/// The last report an agent made about one service on one server.
public struct Observation: Hashable, Sendable, Codable {
    public var server: String
    public var service: String
    public var bundle: String
    /// An `AgentProtocol.Phase` raw value.
    public var phase: String
    public var detail: String?
    public var reportedAt: Int64
}
