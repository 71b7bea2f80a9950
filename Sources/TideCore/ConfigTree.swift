/// A config repo's files as read at one revision: a directory on disk, or a Git commit's tree read
/// through libgit2 without a checkout. The config loader reads only through this.
public protocol ConfigTree {
    /// A name for messages, e.g. the directory path or `repo.git@3f2a9c1`.
    var displayName: String { get }
    /// Every entry below the root, recursively, with `/`-separated paths relative to it, sorted by path.
    /// Directories themselves are not listed.
    func entries() throws -> [ConfigTreeEntry]
    /// The bytes of a regular file (or the target text of a symlink).
    func contents(of path: String) throws -> [UInt8]
}

/// One entry of a `ConfigTree`.
public struct ConfigTreeEntry: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case file, executable, symlink, submodule
    }

    public var path: String
    public var kind: Kind
    /// The content's id when the tree knows it cheaply (a Git blob id), else nil; equal ids mean equal bytes.
    public var contentID: String?

    public init(path: String, kind: Kind, contentID: String? = nil) {
        self.path = path
        self.kind = kind
        self.contentID = contentID
    }
}
