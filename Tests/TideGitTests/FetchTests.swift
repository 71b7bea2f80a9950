import Foundation
import Testing
import TideGit
import TideTestSupport

@Suite struct FetchTests {
    @Test func fetchOverLocalPathReportsCommitsAndServices() async throws {
        let fleet = try Fleet()
        let mirror = try fleet.mirror()
        let first = try await mirror.fetch()
        #expect(first.kind == .created)
        #expect(first.newHead == fleet.first)
        #expect(first.commits.map(\.sha) == [fleet.first])
        #expect(first.commits[0].services == ["db", "web"])
        #expect(first.commits[0].touchesFleetFiles)

        let a = try fleet.engineer.commit("web: 8 workers", files: ["services/web/service.yaml": "port: 80\nworkers: 8\n"])
        let b = try fleet.engineer.commit(
            "db: bigger pool\n\nThe pool ran dry at peak.", files: ["services/db/pool.yaml": "size: 50\n"])
        let c = try fleet.engineer.commit("inventory: add web-2", files: ["inventory/servers.yaml": "- web-1\n- web-2\n"])
        try fleet.engineer.push()

        let update = try await mirror.fetch()
        #expect(update.kind == .fastForward)
        #expect(update.oldHead == fleet.first)
        #expect(update.newHead == c)
        #expect(update.commits.map(\.sha) == [a, b, c])
        #expect(update.commits.map(\.services) == [["web"], ["db"], []])
        #expect(update.commits.map(\.touchesFleetFiles) == [false, false, true])
        #expect(update.commits[1].subject == "db: bigger pool")
        #expect(update.commits[1].message == "db: bigger pool\n\nThe pool ran dry at peak.\n")
        #expect(update.commits[1].authorEmail == "engineer@example.com")
        #expect(abs(update.commits[1].time.timeIntervalSinceNow) < 600)

        let again = try await mirror.fetch()
        #expect(again.kind == .unchanged)
        #expect(again.commits.isEmpty)
        #expect(try await mirror.head() == c)
    }

    @Test func fetchOverFileURL() async throws {
        let fleet = try Fleet()
        let mirror = try fleet.mirror(url: "file://" + fleet.originPath)
        let update = try await mirror.fetch()
        #expect(update.newHead == fleet.first)
        // The mirror is a real bare repository the git CLI agrees with.
        let head = try Shell.check("git rev-parse refs/remotes/origin/main", in: mirror.path)
        #expect(head.trimmingCharacters(in: .whitespacesAndNewlines) == fleet.first)
    }

    @Test func fetchOverGitProtocolFromDaemon() async throws {
        let fleet = try Fleet()
        let daemon = try GitDaemon(basePath: fleet.dir.path)
        defer { daemon.stop() }
        let mirror = try fleet.mirror(url: daemon.url("fleet.git"))
        #expect(try await mirror.fetch().newHead == fleet.first)
        let next = try fleet.engineer.commit("web: port 8080", files: ["services/web/service.yaml": "port: 8080\n"])
        try fleet.engineer.push()
        let update = try await mirror.fetch()
        #expect(update.kind == .fastForward)
        #expect(update.commits.map(\.sha) == [next])
        #expect(update.services == ["web"])
    }

    @Test func fetchErrorSaysWhatTideWasDoing() async throws {
        let fleet = try Fleet()
        let port = try GitDaemon.freePort()
        let url = "git://127.0.0.1:\(port)/fleet.git"
        let mirror = try fleet.mirror(url: url)
        let error = await #expect(throws: GitError.self) { try await mirror.fetch() }
        #expect(error?.doing == "fetching main from \(url)")
        #expect(error?.function == "git_remote_fetch")
        #expect(error?.libgit2Class != 0)
        #expect(error?.description.contains("fetching main from git://127.0.0.1") == true)
    }

    @Test func mirrorIsReopenedOnRestart() async throws {
        let fleet = try Fleet()
        _ = try await fleet.mirror().fetch()
        let reopened = try fleet.mirror()
        #expect(try await reopened.head() == fleet.first)
        #expect(try await reopened.fetch().kind == .unchanged)
    }

    @Test func servicesChangedBetweenRevisions() async throws {
        let fleet = try Fleet()
        let w1 = try fleet.engineer.commit("web: a", files: ["services/web/a.conf": "a\n"])
        _ = try fleet.engineer.commit("db: b", files: ["services/db/b.conf": "b\n"])
        let w2 = try fleet.engineer.commit("web and db", files: ["services/web/a.conf": "a2\n", "services/db/b.conf": "b2\n"])
        try fleet.engineer.push()
        let mirror = try fleet.mirror()
        let update = try await mirror.fetch()
        let web = try await mirror.commits(touchingService: "web", from: fleet.first, to: update.newHead)
        #expect(web.map(\.sha) == [w2, w1])
        let all = try await mirror.commits(touchingService: "web", from: nil, to: update.newHead)
        #expect(all.map(\.sha) == [w2, w1, fleet.first])
    }

    @Test func redactsCredentialsInURLs() {
        #expect(GitError.redacted("fetching from https://bob:s3cret@git.example.com/fleet.git now")
            == "fetching from https://git.example.com/fleet.git now")
        #expect(GitRemote(url: "https://x:tok@h/r.git").displayURL == "https://h/r.git")
        #expect(GitRemote(url: "git@github.com:org/fleet.git").isSSH)
        #expect(!GitRemote(url: "/srv/fleet.git").isSSH)
        #expect(!GitRemote(url: "https://h/r.git").isSSH)
    }
}
