import CGit2
import Foundation

extension RepositoryHandle {
    /// Writes revert commits for `commits` (newest first) on top of `base`, 3-way like `git revert`
    /// (a merge reverted against its first parent). Writes objects only, moves no ref. Throws
    /// `.revertConflict` naming the paths when one does not apply.
    func revert(
        _ commits: [String], onto base: String, trailers: [String], identity: GitIdentity
    ) throws -> RevertResult {
        let baseID = try commitID(base)
        var head = try commit(baseID)
        var reverts: [RevertResult.Revert] = []
        var skipped: [String] = []
        for revision in commits {
            let target = try commit(revision)
            let doing = "reverting commit \(target.sha) on \(head.sha) in \(path)"
            var options = git_merge_options()
            try check(git_merge_options_init(&options, UInt32(GIT_MERGE_OPTIONS_VERSION)), "git_merge_options_init", doing)
            let mainline: UInt32 = target.parentCount > 1 ? 1 : 0
            var rawIndex: OpaquePointer?
            try check(
                git_revert_commit(&rawIndex, pointer, target.pointer, head.pointer, mainline, &options),
                "git_revert_commit", doing)
            let index = IndexHandle(pointer: rawIndex!)
            let conflicts = try index.conflictPaths()
            if !conflicts.isEmpty {
                throw GitError(
                    .revertConflict,
                    "the revert of \"\(target.subject)\" conflicts with later changes; nothing was written",
                    doing: doing, paths: conflicts)
            }
            var treeID = git_oid()
            try check(git_index_write_tree_to(&treeID, index.pointer, pointer), "git_index_write_tree_to", doing)
            if treeID == (try head.tree().id) {
                skipped.append(target.sha)
                continue
            }
            var message = "Revert \"\(target.subject)\"\n\nThis reverts commit \(target.sha).\n"
            if !trailers.isEmpty { message += "\n" + trailers.joined(separator: "\n") + "\n" }
            let newID = try writeCommit(message: message, treeID: treeID, parent: head, identity: identity, doing: doing)
            reverts.append(RevertResult.Revert(reverted: target.sha, revert: newID.sha))
            head = try commit(newID)
        }
        return RevertResult(base: baseID.sha, head: head.sha, reverts: reverts, alreadyReverted: skipped)
    }

    private func writeCommit(
        message: String, treeID: git_oid, parent: CommitHandle, identity: GitIdentity, doing: String
    ) throws -> git_oid {
        var signature: UnsafeMutablePointer<git_signature>?
        if let time = identity.time {
            let seconds = git_time_t(time.timeIntervalSince1970.rounded(.down))
            try check(git_signature_new(&signature, identity.name, identity.email, seconds, 0), "git_signature_new", doing)
        } else {
            try check(git_signature_now(&signature, identity.name, identity.email), "git_signature_now", doing)
        }
        defer { git_signature_free(signature) }
        var treeID = treeID
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &treeID), "git_tree_lookup", doing)
        defer { git_tree_free(tree) }
        var id = git_oid()
        var parents: [OpaquePointer?] = [parent.pointer]
        try check(
            git_commit_create(&id, pointer, nil, signature, signature, nil, message, tree, 1, &parents),
            "git_commit_create", doing)
        return id
    }
}
