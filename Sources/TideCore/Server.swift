/// A server of the fleet, as the inventory names it; the agent on it calls itself by `name`.
public struct Server: Hashable, Sendable, Codable {
    public var name: String
    public var labels: [String: String]

    public init(name: String, labels: [String: String] = [:]) {
        self.name = name
        self.labels = labels
    }

    /// True when every key of `selector` is a label of this server with the same value.
    public func matches(_ selector: [String: String]) -> Bool {
        !selector.isEmpty && selector.allSatisfy { labels[$0.key] == $0.value }
    }
}
