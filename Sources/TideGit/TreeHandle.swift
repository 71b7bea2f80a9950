import CGit2

/// A libgit2 tree object, kept with the repository it came from.
final class TreeHandle {
    let pointer: OpaquePointer
    let repository: RepositoryHandle

    init(pointer: OpaquePointer, repository: RepositoryHandle) {
        self.pointer = pointer
        self.repository = repository
    }

    deinit { git_tree_free(pointer) }

    var id: git_oid { git_tree_id(pointer).pointee }
}
