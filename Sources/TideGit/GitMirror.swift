import CGit2
import Foundation
import TideLog

/// The controller's bare mirror of the config repo: fetch, watch one branch, read revisions, revert, push.
///
/// Thread rules: libgit2 handles are not thread-safe, so the mirror's repository handle lives on one
/// private serial dispatch queue and every method runs there, bridged to async with a continuation.
/// That also keeps blocking network calls (fetch, push) off Swift's cooperative thread pool.
/// Use one `GitMirror` per mirror directory per process.
public final class GitMirror: Sendable {
    /// The mirror's directory (a bare repository).
    public let path: String
    public let remote: GitRemote
    /// The watched branch, e.g. `main`.
    public let branch: String
    /// Where the mirror keeps the remote branch's head: `refs/remotes/origin/<branch>`.
    public let trackingRef: String

    private let queue: DispatchQueue
    private let confined: Confined

    /// The repository handle, touched only on `queue`.
    private final class Confined: @unchecked Sendable {
        // Safe: only ever used inside `queue.async` blocks (a serial queue).
        let repository: RepositoryHandle
        init(_ repository: RepositoryHandle) { self.repository = repository }
    }

    /// Opens the bare mirror at `path`, creating it (and its parent directories) on first start. Does not fetch.
    public init(path: String, remote: GitRemote, branch: String) throws {
        guard !branch.isEmpty, !branch.hasPrefix("refs/"), !branch.contains(" ") else {
            throw GitError(.invalidInput, "branch must be a short name like `main`", doing: "opening mirror \(path)")
        }
        self.path = path
        self.remote = remote
        self.branch = branch
        trackingRef = "refs/remotes/origin/\(branch)"
        queue = DispatchQueue(label: "tide.git.mirror")
        let repository: RepositoryHandle
        if FileManager.default.fileExists(atPath: path + "/HEAD") {
            repository = try RepositoryHandle.open(path)
        } else {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            repository = try RepositoryHandle.createBare(path)
        }
        confined = Confined(repository)
    }

    /// Runs `body` on the mirror's queue with its repository.
    private func perform<T: Sendable>(_ body: @escaping @Sendable (RepositoryHandle) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [confined] in
                continuation.resume(with: Result { try body(confined.repository) })
            }
        }
    }

    private var fetchRefspec: String { "+refs/heads/\(branch):\(trackingRef)" }

    // MARK: fetch and watch

    /// Fetches the branch and reports how its head moved since the last fetch (tracking ref before vs after).
    public func fetch() async throws -> BranchUpdate {
        try await perform { [self] repository in
            let old = try repository.referenceTarget(trackingRef)
            try fetchBranch(repository)
            guard let new = try repository.referenceTarget(trackingRef) else {
                throw GitError(.notFound, "the remote has no branch \(branch)", doing: fetchDoing)
            }
            return try update(repository, from: old, to: new)
        }
    }

    /// What changed on the branch between two revisions (e.g. the last one the controller handled and now).
    public func update(from old: String?, to new: String) async throws -> BranchUpdate {
        try await perform { [self] repository in
            try update(repository, from: try old.map { try repository.commitID($0) }, to: repository.commitID(new))
        }
    }

    /// The mirror's copy of the branch head (as of the last fetch), nil before the first fetch.
    public func head() async throws -> String? {
        try await perform { [self] repository in try repository.referenceTarget(trackingRef)?.sha }
    }

    /// Reads one commit with the services it touched.
    public func commit(_ revision: String) async throws -> GitCommit {
        try await perform { repository in try GitCommit(repository.commit(revision)) }
    }

    /// Commits between `old` (excluded; nil = from the root) and `new` that changed `services/<service>/`, newest
    /// first: the order to revert them in.
    public func commits(touchingService service: String, from old: String?, to new: String) async throws
        -> [GitCommit]
    {
        try await perform { repository in
            let hidden = try old.map { try repository.commitID($0) }
            let ids = try repository.commits(from: repository.commitID(new), hiding: hidden)
            return try ids.reversed().map { try GitCommit(repository.commit($0)) }.filter { $0.services.contains(service) }
        }
    }

    /// The files of `revision` for the config loader. The returned tree has its own repository handle:
    /// use it from one thread at a time.
    public func tree(at revision: String) throws -> GitTree {
        try GitTree(repositoryPath: path, revision: revision)
    }

    private var fetchDoing: String { "fetching \(branch) from \(remote.displayURL)" }

    private func fetchBranch(_ repository: RepositoryHandle) throws {
        let transfer = try RemoteTransfer(remote: remote)
        try transfer.fetch(repository, refspecs: [fetchRefspec], doing: fetchDoing)
    }

    private func update(_ repository: RepositoryHandle, from old: git_oid?, to new: git_oid) throws -> BranchUpdate {
        guard let old else {
            let commits = try repository.commits(from: new, hiding: nil).map { try GitCommit(repository.commit($0)) }
            return BranchUpdate(branch: branch, oldHead: nil, newHead: new.sha, kind: .created, commits: commits)
        }
        if old == new {
            return BranchUpdate(branch: branch, oldHead: old.sha, newHead: new.sha, kind: .unchanged, commits: [])
        }
        let commits = try repository.commits(from: new, hiding: old).map { try GitCommit(repository.commit($0)) }
        if try repository.isDescendant(new, of: old) {
            return BranchUpdate(branch: branch, oldHead: old.sha, newHead: new.sha, kind: .fastForward, commits: commits)
        }
        let dropped = try repository.commits(from: old, hiding: new).map(\.sha)
        return BranchUpdate(
            branch: branch, oldHead: old.sha, newHead: new.sha, kind: .forcePush, commits: commits,
            droppedCommits: dropped)
    }

    // MARK: refs/tide

    /// Points `refs/tide/<name>` (e.g. `good/web`) at `revision`, keeping it safe from garbage collection.
    public func setTideRef(_ name: String, to revision: String) async throws {
        let ref = try tideRefName(name)
        try await perform { repository in
            try repository.setReference(ref, to: repository.commitID(revision), log: "tide: \(ref)")
        }
    }

    /// The sha `refs/tide/<name>` points at, nil when unset.
    public func tideRef(_ name: String) async throws -> String? {
        let ref = try tideRefName(name)
        return try await perform { repository in try repository.referenceTarget(ref)?.sha }
    }

    /// Every ref under `refs/tide/<prefix>` (full names) with its sha.
    public func tideRefs(under prefix: String = "") async throws -> [String: String] {
        try await perform { repository in
            Dictionary(
                try repository.references(under: "refs/tide/" + prefix).map { ($0.name, $0.id.sha) },
                uniquingKeysWith: { a, _ in a })
        }
    }

    /// Deletes `refs/tide/<name>`; nothing happens when it does not exist.
    public func deleteTideRef(_ name: String) async throws {
        let ref = try tideRefName(name)
        try await perform { repository in try repository.deleteReference(ref) }
    }

    private func tideRefName(_ name: String) throws -> String {
        let full = "refs/tide/" + name
        guard !name.isEmpty, git_reference_is_valid_name(full) != 0 else {
            throw GitError(.invalidInput, "`\(full)` is not a valid ref name", doing: "naming a Tide ref")
        }
        return full
    }

    // MARK: revert and push

    /// Writes revert commits for `commits` (newest first) on `head` in the mirror, like `git revert`, with the
    /// message `Revert "<subject>"`, `This reverts commit <sha>.` and `trailers` (`Tide-Rollout: 42`).
    /// Moves no ref. Throws `.revertConflict` with the paths when a revert does not apply.
    public func revert(_ commits: [String], onto head: String, trailers: [String] = [], identity: GitIdentity)
        async throws -> RevertResult
    {
        try await perform { repository in
            try repository.revert(commits, onto: head, trailers: trailers, identity: identity)
        }
    }

    /// Reverts `commits` (newest first) on `head` (nil: fetch first and use the branch head) and pushes to the
    /// branch, never forced. When the branch moved meanwhile, fetches, rebuilds the reverts on the new head and
    /// tries again, `maxAttempts` pushes in all, then throws `.pushRaceLost`. A push the remote refuses for
    /// another reason (hook, protection) throws `.pushRefused` with the remote's message.
    public func revertAndPush(
        _ commits: [String], onto head: String? = nil, trailers: [String] = [], identity: GitIdentity,
        maxAttempts: Int = 5
    ) async throws -> PushResult {
        try await perform { [self] repository in
            var base = head
            var lastRefusal = ""
            for attempt in 1...max(1, maxAttempts) {
                if base == nil {
                    try fetchBranch(repository)
                    guard let fetched = try repository.referenceTarget(trackingRef) else {
                        throw GitError(.notFound, "the remote has no branch \(branch)", doing: fetchDoing)
                    }
                    base = fetched.sha
                }
                let reverts = try repository.revert(commits, onto: base!, trailers: trailers, identity: identity)
                switch try push(repository, reverts.head) {
                case .accepted:
                    try repository.setReference(trackingRef, to: git_oid(sha: reverts.head, doing: "recording push"), log: "tide: push")
                    return PushResult(reverts: reverts, attempts: attempt)
                case .branchMoved(let why):
                    lastRefusal = why
                    Log.notice("git.push.branch_moved", ["branch": branch, "attempt": attempt, "reason": why])
                    base = nil
                }
            }
            throw GitError(
                .pushRaceLost,
                "the branch kept moving: \(maxAttempts) pushes rejected, the last because \(lastRefusal)",
                doing: "pushing reverts to \(branch) at \(remote.displayURL)")
        }
    }

    private enum PushOutcome {
        case accepted
        case branchMoved(String)
    }

    private func push(_ repository: RepositoryHandle, _ head: String) throws -> PushOutcome {
        let doing = "pushing \(head) to \(branch) at \(remote.displayURL)"
        let source = "refs/tide/push/\(branch)"
        try repository.setReference(source, to: git_oid(sha: head, doing: doing), log: "tide: push")
        defer { try? repository.deleteReference(source) }
        let target = "refs/heads/\(branch)"
        let transfer = try RemoteTransfer(remote: remote)
        let result = try transfer.push(repository, refspecs: ["\(source):\(target)"], doing: doing)
        if result == GIT_ENONFASTFORWARD.rawValue {
            // libgit2 saw, before sending, that the remote branch is not an ancestor of our head.
            let message = git_error_last().flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "non-fast-forward"
            return .branchMoved(message)
        }
        try transfer.checkTransfer(result, "git_remote_push", doing)
        let remoteText = transfer.remoteMessages.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let status = transfer.refStatus[target] else {
            throw GitError(.pushRefused, "the remote did not report on \(target). \(remoteText)", doing: doing)
        }
        guard let refusal = status else { return .accepted }
        let moved = ["fetch first", "non-fast-forward", "stale info", "failed to lock", "cannot lock", "failed to update ref"]
        if moved.contains(where: { refusal.contains($0) }) { return .branchMoved(refusal) }
        var message = "the remote refused the push: \(refusal)"
        if !remoteText.isEmpty { message += "; the remote said: \(remoteText)" }
        throw GitError(.pushRefused, message, doing: doing)
    }
}
