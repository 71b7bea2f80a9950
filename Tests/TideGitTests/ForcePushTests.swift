import Foundation
import Testing
import TideGit
import TideTestSupport

@Suite struct ForcePushTests {
    @Test func forcePushIsDetectedAndTideRefsKeepOldRevisions() async throws {
        let fleet = try Fleet()
        let bad = try fleet.engineer.commit("web: oops", files: ["services/web/service.yaml": "port: 81\n"])
        try fleet.engineer.push()
        let mirror = try fleet.mirror()
        _ = try await mirror.fetch()
        try await mirror.setTideRef("good/web", to: bad)

        // Someone rewrites history: drop "oops", commit something else, force push.
        try fleet.engineer.git("reset -q --hard \(fleet.first)")
        let other = try fleet.engineer.commit("db: tune", files: ["services/db/service.yaml": "port: 5433\n"])
        try fleet.engineer.push(force: true)

        let update = try await mirror.fetch()
        #expect(update.kind == .forcePush)
        #expect(update.oldHead == bad)
        #expect(update.newHead == other)
        #expect(update.commits.map(\.sha) == [other])
        #expect(update.droppedCommits == [bad])

        // The controller keeps following the branch.
        let next = try fleet.engineer.commit("web: next", files: ["services/web/x": "x\n"])
        try fleet.engineer.push()
        #expect(try await mirror.fetch().kind == .fastForward)
        #expect(try await mirror.head() == next)

        // The dropped revision survives garbage collection in the mirror because refs/tide/ holds it.
        try Shell.check("git reflog expire --expire=now --all && git gc -q --prune=now", in: mirror.path)
        #expect(try await mirror.tideRef("good/web") == bad)
        let tree = try mirror.tree(at: bad)
        #expect(try tree.contents(of: "services/web/service.yaml") == Array("port: 81\n".utf8))
        #expect(try await mirror.tideRefs(under: "good/") == ["refs/tide/good/web": bad])
        try await mirror.deleteTideRef("good/web")
        #expect(try await mirror.tideRef("good/web") == nil)
        await #expect(throws: GitError.self) { try await mirror.setTideRef("bad name..", to: next) }
    }
}
