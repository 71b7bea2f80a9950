/// One file of a service that changes on some servers between two revisions, with its unified diff.
public struct FileChange: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable { case added, modified, removed }

    public var target: String
    public var kind: Kind
    /// The servers that see exactly this change (same diff and modes), sorted by name. A templated file
    /// may give several `FileChange`s for one target, one per distinct diff.
    public var servers: [String]
    public var oldMode: UInt32?
    public var newMode: UInt32?
    /// `diff -u` of the content; empty when only mode or owner changed; "Binary files ... differ" for binaries.
    public var diff: String

    public init(
        target: String, kind: Kind, servers: [String], oldMode: UInt32?, newMode: UInt32?, diff: String
    ) {
        self.target = target
        self.kind = kind
        self.servers = servers
        self.oldMode = oldMode
        self.newMode = newMode
        self.diff = diff
    }
}
