/// What one fetch saw happen to the watched branch.
public struct BranchUpdate: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// The head did not move.
        case unchanged
        /// First sight of the branch: no previous head.
        case created
        /// The new head descends from the old one.
        case fastForward
        /// The new head does not contain the old one: history was rewritten (a force push).
        case forcePush
    }

    public var branch: String
    /// The head before, nil on first fetch.
    public var oldHead: String?
    public var newHead: String
    public var kind: Kind
    /// Commits in the new head and not in the old one, oldest first.
    public var commits: [GitCommit]
    /// On a force push, the shas of commits that left the branch, oldest first.
    public var droppedCommits: [String]

    public init(
        branch: String, oldHead: String?, newHead: String, kind: Kind, commits: [GitCommit],
        droppedCommits: [String] = []
    ) {
        self.branch = branch
        self.oldHead = oldHead
        self.newHead = newHead
        self.kind = kind
        self.commits = commits
        self.droppedCommits = droppedCommits
    }

    /// Every service the new commits touched, sorted.
    public var services: [String] { Array(Set(commits.flatMap(\.services))).sorted() }
    /// True when any new commit touched fleet files.
    public var touchesFleetFiles: Bool { commits.contains(where: \.touchesFleetFiles) }
}
