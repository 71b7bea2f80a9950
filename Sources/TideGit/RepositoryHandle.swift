import CGit2
import Foundation

/// An open libgit2 repository; not thread-safe: use from one thread (or serial queue) at a time.
final class RepositoryHandle {
    let pointer: OpaquePointer
    let path: String

    private init(pointer: OpaquePointer, path: String) {
        self.pointer = pointer
        self.path = path
    }

    /// Opens the repository at `path` (bare or not).
    static func open(_ path: String) throws -> RepositoryHandle {
        LibGit2.ensure()
        var raw: OpaquePointer?
        try check(git_repository_open(&raw, path), "git_repository_open", "opening repository \(path)")
        return RepositoryHandle(pointer: raw!, path: path)
    }

    /// Creates a bare repository at `path`.
    static func createBare(_ path: String) throws -> RepositoryHandle {
        LibGit2.ensure()
        var raw: OpaquePointer?
        try check(git_repository_init(&raw, path, 1), "git_repository_init", "creating bare mirror \(path)")
        return RepositoryHandle(pointer: raw!, path: path)
    }

    deinit { git_repository_free(pointer) }

    /// Resolves a revision expression (sha, ref, `main~2`) to the commit it names.
    func commitID(_ revision: String) throws -> git_oid {
        var object: OpaquePointer?
        try check(
            git_revparse_single(&object, pointer, revision), "git_revparse_single",
            "resolving revision \(revision) in \(path)")
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        try check(
            git_object_peel(&peeled, object, GIT_OBJECT_COMMIT), "git_object_peel",
            "resolving revision \(revision) to a commit in \(path)")
        defer { git_object_free(peeled) }
        return git_object_id(peeled).pointee
    }

    func commit(_ id: git_oid) throws -> CommitHandle {
        var id = id
        var raw: OpaquePointer?
        try check(git_commit_lookup(&raw, pointer, &id), "git_commit_lookup", "reading commit \(id.sha) in \(path)")
        return CommitHandle(pointer: raw!, repository: self)
    }

    func commit(_ revision: String) throws -> CommitHandle { try commit(commitID(revision)) }

    /// The commit a reference points at, or nil when the reference does not exist.
    func referenceTarget(_ name: String) throws -> git_oid? {
        var id = git_oid()
        let result = git_reference_name_to_id(&id, pointer, name)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_reference_name_to_id", "reading ref \(name) in \(path)")
        return id
    }

    /// Points `name` at `id`, creating or moving it.
    func setReference(_ name: String, to id: git_oid, log: String) throws {
        var id = id
        var ref: OpaquePointer?
        try check(
            git_reference_create(&ref, pointer, name, &id, 1, log), "git_reference_create",
            "setting ref \(name) to \(id.sha) in \(path)")
        git_reference_free(ref)
    }

    /// Deletes `name`; no error when it does not exist.
    func deleteReference(_ name: String) throws {
        var ref: OpaquePointer?
        let result = git_reference_lookup(&ref, pointer, name)
        if result == GIT_ENOTFOUND.rawValue { return }
        try check(result, "git_reference_lookup", "deleting ref \(name) in \(path)")
        defer { git_reference_free(ref) }
        try check(git_reference_delete(ref), "git_reference_delete", "deleting ref \(name) in \(path)")
    }

    /// Every reference whose name starts with `prefix`, with its target.
    func references(under prefix: String) throws -> [(name: String, id: git_oid)] {
        var iterator: OpaquePointer?
        try check(
            git_reference_iterator_glob_new(&iterator, pointer, prefix + "*"), "git_reference_iterator_glob_new",
            "listing refs under \(prefix) in \(path)")
        defer { git_reference_iterator_free(iterator) }
        var found: [(String, git_oid)] = []
        var ref: OpaquePointer?
        while true {
            let result = git_reference_next(&ref, iterator)
            if result == GIT_ITEROVER.rawValue { break }
            try check(result, "git_reference_next", "listing refs under \(prefix) in \(path)")
            defer { git_reference_free(ref) }
            var resolved: OpaquePointer?
            if git_reference_resolve(&resolved, ref) == 0, let target = git_reference_target(resolved) {
                found.append((String(cString: git_reference_name(ref)), target.pointee))
            }
            git_reference_free(resolved)
        }
        return found.sorted { $0.0 < $1.0 }
    }

    /// True when `descendant` has `ancestor` in its history (or they are the same commit).
    func isDescendant(_ descendant: git_oid, of ancestor: git_oid) throws -> Bool {
        if descendant == ancestor { return true }
        var d = descendant
        var a = ancestor
        let result = try check(
            git_graph_descendant_of(pointer, &d, &a), "git_graph_descendant_of",
            "checking whether \(descendant.sha) descends from \(ancestor.sha)")
        return result == 1
    }

    /// True when the object database holds `id`.
    func contains(_ id: git_oid) -> Bool {
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, pointer) == 0 else { return false }
        defer { git_odb_free(odb) }
        var id = id
        return git_odb_exists(odb, &id) == 1
    }

    /// Commits reachable from `tip` and not from `hidden`, oldest first (topological, then by time).
    func commits(from tip: git_oid, hiding hidden: git_oid?, limit: Int = 100_000) throws -> [git_oid] {
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, pointer), "git_revwalk_new", "walking history in \(path)")
        defer { git_revwalk_free(walk) }
        try check(
            git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue | GIT_SORT_REVERSE.rawValue),
            "git_revwalk_sorting", "walking history in \(path)")
        var tip = tip
        try check(git_revwalk_push(walk, &tip), "git_revwalk_push", "walking history from \(tip.sha)")
        if var hidden, contains(hidden) {
            try check(git_revwalk_hide(walk, &hidden), "git_revwalk_hide", "walking history hiding \(hidden.sha)")
        }
        var ids: [git_oid] = []
        var id = git_oid()
        while ids.count < limit {
            let result = git_revwalk_next(&id, walk)
            if result == GIT_ITEROVER.rawValue { break }
            try check(result, "git_revwalk_next", "walking history from \(tip.sha)")
            ids.append(id)
        }
        return ids
    }

    /// The paths that differ between two trees (nil = the empty tree), both sides of renames included.
    func changedPaths(from old: TreeHandle?, to new: TreeHandle?) throws -> [String] {
        var diff: OpaquePointer?
        var options = git_diff_options()
        git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION))
        try check(
            git_diff_tree_to_tree(&diff, pointer, old?.pointer, new?.pointer, &options), "git_diff_tree_to_tree",
            "diffing trees in \(path)")
        defer { git_diff_free(diff) }
        var paths: [String] = []
        for i in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, i) else { continue }
            if let p = delta.pointee.old_file.path { paths.append(String(cString: p)) }
            if let p = delta.pointee.new_file.path { paths.append(String(cString: p)) }
        }
        return paths
    }
}
