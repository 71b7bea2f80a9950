import CGit2
import TideCore

/// A commit's files read straight from the object database (no checkout, no work tree), for the config loader.
/// Symlinks and submodules (gitlinks) are listed with their kind so the loader can reject them.
/// Not thread-safe: it owns its own repository handle; use it from one thread at a time.
public final class GitTree: ConfigTree {
    /// The full sha of the commit read.
    public let commitSHA: String
    public let displayName: String
    private let repository: RepositoryHandle
    private let tree: TreeHandle

    /// Opens the repository at `repositoryPath` and the tree of `revision` (a sha, `refs/...` or `main~1`).
    public init(repositoryPath: String, revision: String) throws {
        repository = try RepositoryHandle.open(repositoryPath)
        let commit = try repository.commit(revision)
        tree = try commit.tree()
        commitSHA = commit.sha
        let name = repositoryPath.split(separator: "/").last.map(String.init) ?? repositoryPath
        displayName = "\(name)@\(commitSHA.prefix(7))"
    }

    public func entries() throws -> [ConfigTreeEntry] {
        var result: [ConfigTreeEntry] = []
        try collect(tree, prefix: "", into: &result)
        // Git's own order is nearly always path order already: check before sorting.
        for i in result.indices.dropFirst() where !(result[i - 1].path < result[i].path) {
            return result.sorted { $0.path < $1.path }
        }
        return result
    }

    /// The 40 hex digits of an object id, without intermediate buffers (called for every blob of a tree).
    static func hex(_ oid: UnsafePointer<git_oid>) -> String {
        withUnsafeBytes(of: oid.pointee.id) { raw in
            String(unsafeUninitializedCapacity: raw.count * 2) { buffer in
                let digits = Array("0123456789abcdef".utf8)
                for (i, byte) in raw.enumerated() {
                    buffer[2 * i] = digits[Int(byte >> 4)]
                    buffer[2 * i + 1] = digits[Int(byte & 0x0f)]
                }
                return raw.count * 2
            }
        }
    }

    private func collect(_ tree: TreeHandle, prefix: String, into result: inout [ConfigTreeEntry]) throws {
        for i in 0..<git_tree_entrycount(tree.pointer) {
            guard let entry = git_tree_entry_byindex(tree.pointer, i) else { continue }
            let path = prefix + String(cString: git_tree_entry_name(entry))
            switch git_tree_entry_filemode(entry) {
            case GIT_FILEMODE_TREE:
                var raw: OpaquePointer?
                try check(
                    git_tree_lookup(&raw, repository.pointer, git_tree_entry_id(entry)), "git_tree_lookup",
                    "reading directory \(path) of \(displayName)")
                try collect(TreeHandle(pointer: raw!, repository: repository), prefix: path + "/", into: &result)
            case GIT_FILEMODE_BLOB_EXECUTABLE:
                result.append(ConfigTreeEntry(path: path, kind: .executable, contentID: GitTree.hex(git_tree_entry_id(entry))))
            case GIT_FILEMODE_LINK:
                result.append(ConfigTreeEntry(path: path, kind: .symlink, contentID: GitTree.hex(git_tree_entry_id(entry))))
            case GIT_FILEMODE_COMMIT: result.append(ConfigTreeEntry(path: path, kind: .submodule))
            default: result.append(ConfigTreeEntry(path: path, kind: .file, contentID: GitTree.hex(git_tree_entry_id(entry))))
            }
        }
    }

    public func contents(of path: String) throws -> [UInt8] {
        let doing = "reading \(path) at \(displayName)"
        var entry: OpaquePointer?
        try check(git_tree_entry_bypath(&entry, tree.pointer, path), "git_tree_entry_bypath", doing)
        defer { git_tree_entry_free(entry) }
        guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else {
            throw GitError(.invalidInput, "not a file (a directory or a submodule)", doing: doing)
        }
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, repository.pointer, git_tree_entry_id(entry)), "git_blob_lookup", doing)
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }
}
