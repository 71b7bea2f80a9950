import Foundation

/// A Git repository driven with the real `git` command line, as an engineer would: write files, commit, push.
///
///     let dir = try TempDirectory()
///     let origin = try RepoBuilder.bare(dir("fleet.git"))          // the "server" repo
///     let repo = try RepoBuilder.clone(origin, into: dir("work"))  // an engineer's clone
///     try repo.write("services/web/service.yaml", "port: 80\n")
///     let sha = try repo.commit("web: port 80")
///     try repo.push()
public final class RepoBuilder: @unchecked Sendable {
    // Safe enough for tests: holds only immutable paths; git serialises its own work.
    /// The work tree (or the bare repository's directory).
    public let path: String
    /// The branch `commit` and `push` use.
    public let branch: String

    /// Wraps an existing repository at `path`.
    public init(path: String, branch: String = "main") {
        self.path = path
        self.branch = branch
    }

    /// Creates a new repository with a work tree at `path` on `branch`.
    public static func create(_ path: String, branch: String = "main") throws -> RepoBuilder {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Shell.check("git init -q -b \(Shell.quote(branch)) .", in: path)
        return RepoBuilder(path: path, branch: branch)
    }

    /// Creates a bare repository at `path` (what a server holds); returns its path.
    @discardableResult
    public static func bare(_ path: String, branch: String = "main") throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Shell.check("git init -q --bare -b \(Shell.quote(branch)) .", in: path)
        return path
    }

    /// Clones `url` (a path or any URL git understands) into `path`.
    public static func clone(_ url: String, into path: String, branch: String = "main") throws -> RepoBuilder {
        try Shell.check("git clone -q \(Shell.quote(url)) \(Shell.quote(path))")
        let repo = RepoBuilder(path: path, branch: branch)
        // An empty clone has no branch yet: start it under the right name.
        try repo.git("checkout -q -B \(Shell.quote(branch))")
        return repo
    }

    /// Runs `git <arguments>` in the repository (arguments as shell text); returns stdout, throws on failure.
    @discardableResult
    public func git(_ arguments: String, environment: [String: String] = [:]) throws -> String {
        try Shell.check("git " + arguments, in: path, environment: environment)
    }

    /// Writes `text` to `relative` in the work tree, creating directories.
    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> RepoBuilder {
        let url = URL(fileURLWithPath: path).appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return self
    }

    /// Writes each file of `files` (path → text).
    @discardableResult
    public func write(_ files: [String: String]) throws -> RepoBuilder {
        for (relative, text) in files.sorted(by: { $0.key < $1.key }) { try write(relative, text) }
        return self
    }

    /// Removes `relative` (a file or directory) from the work tree.
    @discardableResult
    public func remove(_ relative: String) throws -> RepoBuilder {
        try git("rm -r -q \(Shell.quote(relative))")
        return self
    }

    /// Stages everything and commits with `message` (empty commits allowed); returns the new sha.
    @discardableResult
    public func commit(_ message: String, author: String = "Test Engineer <engineer@example.com>") throws -> String {
        try git("add -A")
        try git("commit -q --allow-empty --author=\(Shell.quote(author)) -m \(Shell.quote(message))")
        return try head()
    }

    /// Writes `files` and commits them in one go; returns the sha.
    @discardableResult
    public func commit(_ message: String, files: [String: String]) throws -> String {
        try write(files)
        return try commit(message)
    }

    /// The sha of `revision` (default HEAD).
    public func head(_ revision: String = "HEAD") throws -> String {
        try git("rev-parse \(Shell.quote(revision))").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Pushes the branch to `remote`; `force` rewrites it.
    public func push(remote: String = "origin", force: Bool = false) throws {
        try git("push -q \(force ? "--force " : "")\(Shell.quote(remote)) HEAD:refs/heads/\(Shell.quote(branch))")
    }

    /// Pushes and returns git's result instead of throwing, to look at a refused push.
    public func tryPush(remote: String = "origin") throws -> Shell.Result {
        try Shell.run("git push \(Shell.quote(remote)) HEAD:refs/heads/\(Shell.quote(branch))", in: path)
    }

    /// Fetches and moves the branch to the remote's (hard reset): the engineer catching up.
    public func pull(remote: String = "origin") throws {
        try git("fetch -q \(Shell.quote(remote))")
        try git("reset -q --hard \(Shell.quote(remote))/\(Shell.quote(branch))")
    }

    /// The text of `relative` in the work tree.
    public func read(_ relative: String) throws -> String {
        try String(contentsOfFile: URL(fileURLWithPath: path).appendingPathComponent(relative).path, encoding: .utf8)
    }
}
