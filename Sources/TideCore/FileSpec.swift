/// One `files:` entry of a service: a file, or a directory mirrored recursively under `target`.
public struct FileSpec: Hashable, Sendable, Codable {
    /// Relative to the service directory; ends with `/` (or names a tree) for a directory.
    public var source: String
    /// Absolute path on the server; for a directory, the directory the tree is mirrored under.
    public var target: String
    /// Permission bits, e.g. 0o644. Nil: 0o644 for files.
    public var mode: UInt32?
    public var owner: String?
    public var group: String?
    /// Substitute `${server.name}` and `${labels.KEY}` per server.
    public var template: Bool
    public var position: SourcePosition?

    public init(
        source: String, target: String, mode: UInt32? = nil, owner: String? = nil, group: String? = nil,
        template: Bool = false, position: SourcePosition? = nil
    ) {
        self.source = source
        self.target = target
        self.mode = mode
        self.owner = owner
        self.group = group
        self.template = template
        self.position = position
    }
}
