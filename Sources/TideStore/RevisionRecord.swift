/// A revision of a service the controller has seen, and when the engine processed it.
public struct RevisionRecord: Hashable, Sendable, Codable {
    public var service: String
    public var revision: String
    public var seenAt: Int64
    public var processedAt: Int64?
}
