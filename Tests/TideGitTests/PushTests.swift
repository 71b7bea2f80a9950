import Foundation
import Testing
import TideGit
import TideTestSupport

@Suite struct PushTests {
    @Test func pushLosingRaceToAnotherPusherSucceedsOnRetry() async throws {
        let fleet = try Fleet()
        let daemon = try GitDaemon(basePath: fleet.dir.path)
        defer { daemon.stop() }
        let bad = try fleet.engineer.commit("web: bad", files: ["services/web/service.yaml": "port: 81\n"])
        try fleet.engineer.push()
        let mirror = try fleet.mirror(url: daemon.url("fleet.git"))
        _ = try await mirror.fetch()

        // Another engineer pushes after Tide's fetch, before Tide's push.
        let other = try RepoBuilder.clone(daemon.url("fleet.git"), into: fleet.dir("other"))
        let theirs = try other.commit("db: unrelated", files: ["services/db/extra.yaml": "z\n"])
        try other.push()

        let result = try await mirror.revertAndPush(
            [bad], onto: bad, trailers: ["Tide-Rollout: 42"], identity: Fleet.tide, maxAttempts: 3)
        #expect(result.attempts == 2)
        #expect(result.reverts.base == theirs)
        #expect(try fleet.origin("rev-parse main") == result.head)
        #expect(try fleet.origin("rev-parse main~1") == theirs)
        #expect(try fleet.origin("log -1 --format=%s main") == "Revert \"web: bad\"")
        #expect(try fleet.origin("show main:services/web/service.yaml") == "port: 80\nworkers: 4")
        #expect(try await mirror.head() == result.head)
        // Tide's own fetch sees its revert as a fast-forward.
        #expect(try await mirror.fetch().kind == .unchanged)
    }

    @Test func pushGivesUpAfterBoundedAttempts() async throws {
        let fleet = try Fleet()
        let bad = try fleet.engineer.commit("web: bad", files: ["services/web/service.yaml": "port: 81\n"])
        try fleet.engineer.push()
        let mirror = try fleet.mirror()
        _ = try await mirror.fetch()
        try fleet.engineer.commit("db: moved", files: ["services/db/m": "m\n"])
        try fleet.engineer.push()
        let error = await #expect(throws: GitError.self) {
            try await mirror.revertAndPush([bad], onto: bad, identity: Fleet.tide, maxAttempts: 1)
        }
        #expect(error?.code == .pushRaceLost)
        #expect(error?.description.contains("1 pushes rejected") == true)
    }

    @Test func remoteSideRaceIsRetried() async throws {
        // The branch moves on the server between Tide's pack upload and the ref update: a pre-receive hook
        // moves main once, so receive-pack's compare-and-swap fails and the server rejects the update.
        let fleet = try Fleet()
        let daemon = try GitDaemon(basePath: fleet.dir.path)
        defer { daemon.stop() }
        let bad = try fleet.engineer.commit("web: bad", files: ["services/web/service.yaml": "port: 81\n"])
        try fleet.engineer.push()
        let sneaky = try fleet.engineer.commit("db: sneaky", files: ["services/db/s": "s\n"])
        try fleet.engineer.git("push -q origin HEAD:refs/heads/sneaky")
        let marker = fleet.dir("raced")
        try fleet.dir.write(
            "fleet.git/hooks/pre-receive",
            """
            #!/bin/sh
            cat >/dev/null
            if [ ! -e \(marker) ]; then
              touch \(marker)
              env -u GIT_QUARANTINE_PATH git update-ref refs/heads/main \(sneaky)
            fi
            exit 0
            """)
        try Shell.check("chmod +x \(fleet.dir("fleet.git/hooks/pre-receive"))")
        let mirror = try fleet.mirror(url: daemon.url("fleet.git"))
        _ = try await mirror.fetch()
        let result = try await mirror.revertAndPush([bad], onto: bad, identity: Fleet.tide, maxAttempts: 3)
        #expect(result.attempts == 2)
        #expect(result.reverts.base == sneaky)
        #expect(try fleet.origin("rev-parse main") == result.head)
    }

    @Test func pushRefusedByHookIsReportedWithRemoteMessage() async throws {
        let fleet = try Fleet()
        let daemon = try GitDaemon(basePath: fleet.dir.path)
        defer { daemon.stop() }
        let bad = try fleet.engineer.commit("web: bad", files: ["services/web/service.yaml": "port: 81\n"])
        try fleet.engineer.push()
        try fleet.dir.write(
            "fleet.git/hooks/pre-receive", "#!/bin/sh\ncat >/dev/null\necho 'main is frozen for the release' >&2\nexit 1\n")
        try Shell.check("chmod +x \(fleet.dir("fleet.git/hooks/pre-receive"))")
        let mirror = try fleet.mirror(url: daemon.url("fleet.git"))
        _ = try await mirror.fetch()
        let error = await #expect(throws: GitError.self) {
            try await mirror.revertAndPush([bad], onto: bad, identity: Fleet.tide, maxAttempts: 3)
        }
        #expect(error?.code == .pushRefused)
        #expect(error?.message.contains("pre-receive hook declined") == true)
        #expect(error?.message.contains("main is frozen for the release") == true)
        #expect(error?.doing.contains("pushing") == true)
        #expect(try fleet.origin("rev-parse main") == bad)
        #expect(try await mirror.head() == bad)
    }
}
