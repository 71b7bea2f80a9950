import CGit2
import Foundation

/// A libgit2 commit object, kept with the repository it came from.
final class CommitHandle {
    let pointer: OpaquePointer
    let repository: RepositoryHandle

    init(pointer: OpaquePointer, repository: RepositoryHandle) {
        self.pointer = pointer
        self.repository = repository
    }

    deinit { git_commit_free(pointer) }

    var id: git_oid { git_commit_id(pointer).pointee }
    var sha: String { id.sha }
    var message: String { git_commit_message(pointer).map { String(cString: $0) } ?? "" }
    var subject: String { git_commit_summary(pointer).map { String(cString: $0) } ?? "" }
    var parentCount: Int { Int(git_commit_parentcount(pointer)) }

    var author: (name: String, email: String, time: Date) {
        let signature = git_commit_author(pointer)!.pointee
        return (
            String(cString: signature.name), String(cString: signature.email),
            Date(timeIntervalSince1970: TimeInterval(signature.when.time))
        )
    }

    func parent(_ index: Int) throws -> CommitHandle {
        var raw: OpaquePointer?
        try check(
            git_commit_parent(&raw, pointer, UInt32(index)), "git_commit_parent",
            "reading parent \(index + 1) of commit \(sha)")
        return CommitHandle(pointer: raw!, repository: repository)
    }

    func tree() throws -> TreeHandle {
        var raw: OpaquePointer?
        try check(git_commit_tree(&raw, pointer), "git_commit_tree", "reading the tree of commit \(sha)")
        return TreeHandle(pointer: raw!, repository: repository)
    }
}
