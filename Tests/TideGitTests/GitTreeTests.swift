import Foundation
import Testing
import TideCore
import TideGit
import TideTestSupport

@Suite struct GitTreeTests {
    @Test func readsAnyCommitWithoutCheckoutAndReportsKinds() async throws {
        let fleet = try Fleet()
        try fleet.engineer.write("services/web/check.sh", "#!/bin/sh\nexit 0\n")
        try fleet.engineer.git("add -A && chmod +x services/web/check.sh && git update-index --chmod=+x services/web/check.sh")
        try Shell.check("ln -s service.yaml services/db/link.yaml", in: fleet.engineer.path)
        try fleet.engineer.git("add -A")
        try fleet.engineer.git("update-index --add --cacheinfo 160000,\(fleet.first),services/vendored")
        // Commit the index as is: `git add -A` would drop the gitlink, which has no directory.
        try fleet.engineer.git("commit -q -m 'more kinds'")
        let second = try fleet.engineer.head()
        try fleet.engineer.push()
        let mirror = try fleet.mirror()
        _ = try await mirror.fetch()

        let tree = try mirror.tree(at: second)
        #expect(tree.commitSHA == second)
        #expect(tree.displayName == "mirror.git@\(second.prefix(7))")
        let entries = try tree.entries()
        // Every blob carries its Git id (the loader's cache key); a submodule has none.
        for entry in entries {
            #expect((entry.contentID?.count == 40) == (entry.kind != .submodule), "\(entry.path)")
        }
        #expect(entries.map { ConfigTreeEntry(path: $0.path, kind: $0.kind) } == [
            ConfigTreeEntry(path: "inventory/servers.yaml", kind: .file),
            ConfigTreeEntry(path: "services/db/link.yaml", kind: .symlink),
            ConfigTreeEntry(path: "services/db/service.yaml", kind: .file),
            ConfigTreeEntry(path: "services/vendored", kind: .submodule),
            ConfigTreeEntry(path: "services/web/check.sh", kind: .executable),
            ConfigTreeEntry(path: "services/web/service.yaml", kind: .file),
            ConfigTreeEntry(path: "tide.yaml", kind: .file),
        ])
        #expect(try tree.contents(of: "services/db/link.yaml") == Array("service.yaml".utf8))
        #expect(try tree.contents(of: "tide.yaml") == Array("fleet: test\n".utf8))
        #expect(throws: GitError.self) { try tree.contents(of: "services/vendored") }
        let missing = #expect(throws: GitError.self) { try tree.contents(of: "nope.yaml") }
        #expect(missing?.code == .notFound)
        #expect(missing?.doing.contains("nope.yaml") == true)

        // An older revision, through a ref expression.
        let old = try GitTree(repositoryPath: mirror.path, revision: "refs/remotes/origin/main~1")
        #expect(old.commitSHA == fleet.first)
        #expect(try old.entries().count == 4)
    }
}
