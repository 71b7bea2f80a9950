import Foundation

/// A commit as the controller sees it: who, when, what, and which services it touched.
public struct GitCommit: Sendable, Hashable {
    public var sha: String
    /// The first line of the message.
    public var subject: String
    public var message: String
    public var authorName: String
    public var authorEmail: String
    public var time: Date
    public var parents: [String]
    /// Services whose directory (`services/<name>/...`) the commit changed, sorted.
    public var services: [String]
    /// True when it changed fleet files (`tide.yaml`, `inventory/...`), which can affect every service.
    public var touchesFleetFiles: Bool

    public init(
        sha: String, subject: String, message: String, authorName: String, authorEmail: String, time: Date,
        parents: [String], services: [String], touchesFleetFiles: Bool
    ) {
        self.sha = sha
        self.subject = subject
        self.message = message
        self.authorName = authorName
        self.authorEmail = authorEmail
        self.time = time
        self.parents = parents
        self.services = services
        self.touchesFleetFiles = touchesFleetFiles
    }

    /// The services named by `paths` and whether any is a fleet file.
    public static func classify(paths: [String]) -> (services: [String], fleetFiles: Bool) {
        var services = Set<String>()
        var fleet = false
        for path in paths {
            let parts = path.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.count >= 3, parts[0] == "services", !parts[1].isEmpty {
                services.insert(String(parts[1]))
            } else if path == "tide.yaml" || path.hasPrefix("inventory/") {
                fleet = true
            }
        }
        return (services.sorted(), fleet)
    }
}

extension GitCommit {
    /// Reads `commit` and diffs it against its first parent (a root commit against the empty tree).
    init(_ commit: CommitHandle) throws {
        let tree = try commit.tree()
        let parentTree = commit.parentCount > 0 ? try commit.parent(0).tree() : nil
        let paths = try commit.repository.changedPaths(from: parentTree, to: tree)
        let (services, fleet) = GitCommit.classify(paths: paths)
        let author = commit.author
        self.init(
            sha: commit.sha, subject: commit.subject, message: commit.message, authorName: author.name,
            authorEmail: author.email, time: author.time,
            parents: try (0..<commit.parentCount).map { try commit.parent($0).sha }, services: services,
            touchesFleetFiles: fleet)
    }
}
