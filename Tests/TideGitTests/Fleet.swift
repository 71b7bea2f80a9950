import Foundation
import TideGit
import TideTestSupport

/// A config repo for one test: a bare "server" repo, an engineer's clone with a first commit, a mirror path.
final class Fleet {
    let dir: TempDirectory
    let originPath: String
    let engineer: RepoBuilder
    let first: String
    static let tide = GitIdentity(name: "Tide", email: "tide@example.com")

    init() throws {
        dir = try TempDirectory("tide-git")
        originPath = try RepoBuilder.bare(dir("fleet.git"))
        engineer = try RepoBuilder.clone(originPath, into: dir("engineer"))
        first = try engineer.commit(
            "Initial fleet",
            files: [
                "tide.yaml": "fleet: test\n",
                "inventory/servers.yaml": "- web-1\n",
                "services/web/service.yaml": "port: 80\nworkers: 4\n",
                "services/db/service.yaml": "port: 5432\n",
            ])
        try engineer.push()
    }

    /// A mirror of the origin in this test's directory, reached through `url` (default: the bare repo's path).
    func mirror(url: String? = nil) throws -> GitMirror {
        try GitMirror(path: dir("state/mirror.git"), remote: GitRemote(url: url ?? originPath), branch: "main")
    }

    /// Runs git in the bare origin.
    @discardableResult
    func origin(_ arguments: String) throws -> String {
        try Shell.check("git " + arguments, in: originPath).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
