/// A webhook that receives rollout notices (`notify:` in tide.yaml).
public struct NotifyTarget: Hashable, Sendable, Codable {
    public enum Format: String, Hashable, Sendable, Codable { case json, slack }
    public var url: String
    public var format: Format

    public init(url: String, format: Format = .json) {
        self.url = url
        self.format = format
    }
}
