import Foundation
import Testing
import TideGit
import TideTestSupport

@Suite struct RevertTests {
    /// `git for-each-ref` in the mirror: every ref and where it points.
    func refs(_ mirror: GitMirror) throws -> String {
        try Shell.check("git for-each-ref --format='%(refname) %(objectname)'", in: mirror.path)
    }

    func tree(_ revision: String, in path: String) throws -> String {
        try Shell.check("git rev-parse \(revision)^{tree}", in: path).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func revertRestoresParentTreeWithMessageAndTrailers() async throws {
        let fleet = try Fleet()
        let bad = try fleet.engineer.commit("web: 64 workers", files: ["services/web/service.yaml": "port: 80\nworkers: 64\n"])
        try fleet.engineer.push()
        let mirror = try fleet.mirror()
        _ = try await mirror.fetch()
        let refsBefore = try refs(mirror)

        let identity = GitIdentity(name: "Tide", email: "tide@example.com", time: Date(timeIntervalSince1970: 1_700_000_000))
        let result = try await mirror.revert(
            [bad], onto: bad, trailers: ["Tide-Rollout: 42", "Tide-Reason: 3 of 10 servers unhealthy in wave 2"],
            identity: identity)
        #expect(result.base == bad)
        #expect(result.reverts.count == 1)
        #expect(result.reverts[0].reverted == bad)
        #expect(result.head == result.reverts[0].revert)
        #expect(try tree(result.head, in: mirror.path) == tree(fleet.first, in: mirror.path))
        let message = try Shell.check("git log -1 --format=%B \(result.head)", in: mirror.path)
        #expect(message == """
            Revert "web: 64 workers"

            This reverts commit \(bad).

            Tide-Rollout: 42
            Tide-Reason: 3 of 10 servers unhealthy in wave 2


            """)
        let who = try Shell.check("git log -1 --format='%an <%ae> %at|%cn <%ce> %ct|%P' \(result.head)", in: mirror.path)
        #expect(who == "Tide <tide@example.com> 1700000000|Tide <tide@example.com> 1700000000|\(bad)\n")
        // git's own parser sees the trailers.
        let trailers = try Shell.check("git log -1 --format='%(trailers:only,unfold)' \(result.head)", in: mirror.path)
        #expect(trailers.contains("Tide-Rollout: 42"))
        // No ref moved.
        #expect(try refs(mirror) == refsBefore)
    }

    @Test func revertsSeveralCommitsNewestFirst() async throws {
        let fleet = try Fleet()
        let c1 = try fleet.engineer.commit("web: workers 5", files: ["services/web/service.yaml": "port: 80\nworkers: 5\n"])
        let c2 = try fleet.engineer.commit("web: workers 6", files: ["services/web/service.yaml": "port: 80\nworkers: 6\n"])
        let other = try fleet.engineer.commit("db: tune", files: ["services/db/tune.yaml": "x\n"])
        try fleet.engineer.push()
        let mirror = try fleet.mirror()
        _ = try await mirror.fetch()
        let plan = try await mirror.commits(touchingService: "web", from: fleet.first, to: other)
        #expect(plan.map(\.sha) == [c2, c1])
        let result = try await mirror.revert(plan.map(\.sha), onto: other, identity: Fleet.tide)
        #expect(result.reverts.map(\.reverted) == [c2, c1])
        let tree = try GitTree(repositoryPath: mirror.path, revision: result.head)
        #expect(try tree.contents(of: "services/web/service.yaml") == Array("port: 80\nworkers: 4\n".utf8))
        #expect(try tree.contents(of: "services/db/tune.yaml") == Array("x\n".utf8))
        // A revert that changes nothing (the change was already undone by hand): reported, no empty commit.
        let added = try fleet.engineer.commit("web: extra", files: ["services/web/extra.yaml": "e\n"])
        try fleet.engineer.remove("services/web/extra.yaml")
        let undone = try fleet.engineer.commit("web: drop extra by hand")
        try fleet.engineer.push()
        _ = try await mirror.fetch()
        let again = try await mirror.revert([added], onto: undone, identity: Fleet.tide)
        #expect(again.reverts.isEmpty)
        #expect(again.alreadyReverted == [added])
        #expect(again.head == undone)
    }

    @Test func revertsMergeCommitAgainstFirstParentLikeGit() async throws {
        let fleet = try Fleet()
        let e = fleet.engineer
        try e.git("checkout -q -b feature")
        try e.commit("web: feature part 1", files: ["services/web/feature.yaml": "on: true\n"])
        try e.commit("web: feature part 2", files: ["services/web/service.yaml": "port: 80\nworkers: 4\nfeature: true\n"])
        try e.git("checkout -q main")
        let mainSide = try e.commit("db: tune", files: ["services/db/tune.yaml": "x\n"])
        try e.git("merge -q --no-ff -m 'Merge feature' feature")
        let merge = try e.head()
        let after = try e.commit("db: after merge", files: ["services/db/after.yaml": "y\n"])
        try e.push()
        let mirror = try fleet.mirror()
        let update = try await mirror.fetch()
        #expect(update.commits.first(where: { $0.sha == merge })?.services == ["web"])

        let result = try await mirror.revert([merge], onto: after, identity: Fleet.tide)
        // What `git revert -m 1` makes in an engineer's clone.
        try e.git("revert --no-edit -m 1 \(merge)")
        #expect(try tree(result.head, in: mirror.path) == tree("HEAD", in: e.path))
        let reverted = try GitTree(repositoryPath: mirror.path, revision: result.head)
        let paths = try reverted.entries().map(\.path)
        #expect(!paths.contains("services/web/feature.yaml"))
        #expect(paths.contains("services/db/tune.yaml") && paths.contains("services/db/after.yaml"))
        _ = mainSide
    }

    @Test func conflictingRevertNamesPathsAndWritesNothing() async throws {
        let fleet = try Fleet()
        let c1 = try fleet.engineer.commit("web: workers 5", files: ["services/web/service.yaml": "port: 80\nworkers: 5\n"])
        let c2 = try fleet.engineer.commit("web: workers 6", files: ["services/web/service.yaml": "port: 80\nworkers: 6\n"])
        try fleet.engineer.push()
        let mirror = try fleet.mirror()
        _ = try await mirror.fetch()
        let refsBefore = try refs(mirror)
        let error = await #expect(throws: GitError.self) {
            try await mirror.revert([c1], onto: c2, trailers: ["Tide-Rollout: 7"], identity: Fleet.tide)
        }
        #expect(error?.code == .revertConflict)
        #expect(error?.paths == ["services/web/service.yaml"])
        #expect(error?.description.contains("web: workers 5") == true)
        #expect(error?.description.contains("services/web/service.yaml") == true)
        #expect(try refs(mirror) == refsBefore)
        // Pushing the same revert fails the same way and pushes nothing.
        await #expect(throws: GitError.self) {
            try await mirror.revertAndPush([c1], onto: c2, identity: Fleet.tide)
        }
        #expect(try fleet.origin("rev-parse main") == c2)
    }
}
