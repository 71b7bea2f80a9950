import CGit2

/// An in-memory libgit2 index, such as the result of a revert.
final class IndexHandle {
    let pointer: OpaquePointer

    init(pointer: OpaquePointer) { self.pointer = pointer }

    deinit { git_index_free(pointer) }

    /// The paths in conflict, sorted, each once.
    func conflictPaths() throws -> [String] {
        guard git_index_has_conflicts(pointer) != 0 else { return [] }
        var iterator: OpaquePointer?
        try check(git_index_conflict_iterator_new(&iterator, pointer), "git_index_conflict_iterator_new", "listing conflicts")
        defer { git_index_conflict_iterator_free(iterator) }
        var paths = Set<String>()
        var ancestor: UnsafePointer<git_index_entry>?
        var ours: UnsafePointer<git_index_entry>?
        var theirs: UnsafePointer<git_index_entry>?
        while git_index_conflict_next(&ancestor, &ours, &theirs, iterator) == 0 {
            for entry in [ancestor, ours, theirs] {
                if let entry, let p = entry.pointee.path { paths.insert(String(cString: p)) }
            }
        }
        return paths.sorted()
    }
}
