import Foundation
import Testing
import TideCore
import TideGit
import TideStore
import TideTestSupport

@testable import TideController

/// The reconciler keeps parsed files and the last bundles between heads; what it decides and serves is
/// the same as when every head is loaded cold.
@Suite struct ReconcilerReuseTests {
    static let fleet: [String: String] = [
        "tide.yaml": "defaults:\n  rollout:\n    waves: [\"100%\"]\n    bake: 0s\n",
        "inventory/servers.yaml": """
            servers:
              - name: web-01
                labels: {role: web, zone: a}
              - name: web-02
                labels: {role: web, zone: b}
              - name: db-01
                labels: {role: db, zone: a}

            """,
        "services/web/service.yaml": """
            selector: {role: web}
            files:
              - source: app.conf
                target: /etc/app.conf
                template: true
              - source: static.conf
                target: /etc/static.conf

            """,
        "services/web/app.conf": "zone ${labels.zone}\n",
        "services/web/static.conf": "static\n",
        "services/db/service.yaml": "selector: {role: db}\nfiles:\n  - source: db.conf\n    target: /etc/db.conf\n",
        "services/db/db.conf": "db\n",
    ]

    static let edits: [[String: String]] = [
        ["services/web/static.conf": "static, changed\n"],
        ["inventory/servers.yaml": fleet["inventory/servers.yaml"]!.replacingOccurrences(of: "zone: b", with: "zone: c")],
        ["inventory/servers.yaml": fleet["inventory/servers.yaml"]! + "  - name: web-03\n    labels: {role: web, zone: a}\n"],
        ["services/db/service.yaml": "selector: {role: db}\nfiles:\n  - source: db.conf\n    target: /etc/db.conf\nreload: systemctl reload db\n"],
        ["services/web/app.conf": "${labels.nope}\n"],
        ["services/web/app.conf": "host ${server.name}\n"],
        ["tide.yaml": "defaults:\n  rollout:\n    waves: [1, \"100%\"]\n    bake: 0s\n"],
    ]

    static func reconciler(_ dir: TempDirectory, _ name: String, repo: String) throws -> (Reconciler, GitMirror) {
        try FileManager.default.createDirectory(atPath: dir(name), withIntermediateDirectories: true)
        var options = ControllerOptions(repo: repo, stateDirectory: dir(name))
        options.startupGrace = .zero
        let mirror = try GitMirror(path: dir(name) + "/mirror.git", remote: GitRemote(url: repo), branch: "main")
        let reconciler = try Reconciler(
            options: options, store: try StateStore(directory: dir(name)), mirror: mirror, board: DesiredStateBoard(),
            metrics: TideMetrics(), fetchTrigger: FetchTrigger())
        return (reconciler, mirror)
    }

    /// The clock's loop and the fetcher both ask for the new head at once: it is planned once.
    @Test func aHeadAskedForTwiceAtOnceIsPlannedOnce() async throws {
        let dir = try TempDirectory("reconciler-once")
        let repo = try RepoBuilder.create(dir("repo"))
        try repo.commit("Fleet", files: Self.fleet)
        let (reconciler, mirror) = try Self.reconciler(dir, "state", repo: dir("repo"))
        await reconciler.restore()
        _ = try await mirror.fetch()
        async let first: Void = reconciler.processHeadIfNew()
        async let second: Void = reconciler.processHeadIfNew()
        _ = await (first, second)
        await reconciler.processHeadIfNew()  // nothing new: no plan
        #expect(await reconciler.metrics.planDuration.count() == 1)
        #expect(await reconciler.processedHead == (try await mirror.head()))
    }

    /// A commit to another service leaves a running rollout as it is (not superseded, waves not restarted);
    /// a commit to the service itself supersedes it.
    @Test func aCommitToAnotherServiceLeavesARunningRolloutAlone() async throws {
        let dir = try TempDirectory("reconciler-running")
        let repo = try RepoBuilder.create(dir("repo"))
        var files = Self.fleet
        files["tide.yaml"] = "defaults:\n  rollout:\n    waves: [1, \"100%\"]\n    bake: 0s\n"
        try repo.commit("Fleet", files: files)
        let (reconciler, mirror) = try Self.reconciler(dir, "state", repo: dir("repo"))
        await reconciler.restore()
        for server in ["web-01", "web-02", "db-01"] { await reconciler.heard(server: server) }
        _ = try await mirror.fetch()
        await reconciler.processHeadIfNew()
        try repo.commit("web: change", files: ["services/web/static.conf": "static, changed\n"])
        _ = try await mirror.fetch()
        await reconciler.processHeadIfNew()
        let running = try #require(await reconciler.engine.currentRollout(service: "web"))
        #expect(!running.state.isTerminal, "wave 1 released, nobody reported: \(running.state)")

        try repo.commit("db: change", files: ["services/db/db.conf": "db, changed\n"])
        _ = try await mirror.fetch()
        await reconciler.processHeadIfNew()
        let after = try #require(await reconciler.engine.currentRollout(service: "web"))
        #expect(after.id == running.id && after.state == running.state && after.wave == running.wave)
        #expect(await reconciler.engine.currentRollout(service: "db")?.revision == (try await mirror.head()))

        try repo.commit("web: change again", files: ["services/web/static.conf": "static, changed twice\n"])
        _ = try await mirror.fetch()
        await reconciler.processHeadIfNew()
        #expect(await reconciler.engine.currentRollout(service: "web")?.id != running.id)
        #expect(await reconciler.engine.rollout(id: running.id)?.state == .superseded)
    }

    @Test func reusedLoadsDecideAndServeLikeColdLoads() async throws {
        let dir = try TempDirectory("reconciler-reuse")
        let repo = try RepoBuilder.create(dir("repo"))
        try repo.commit("Fleet", files: Self.fleet)
        let (warm, warmMirror) = try Self.reconciler(dir, "warm", repo: dir("repo"))
        let (cold, coldMirror) = try Self.reconciler(dir, "cold", repo: dir("repo"))
        await warm.restore()
        await cold.restore()
        for (step, edit) in ([[:]] + Self.edits).enumerated() {
            if step > 0 { try repo.commit("edit \(step)", files: edit) }
            _ = try await warmMirror.fetch()
            _ = try await coldMirror.fetch()
            let head = try #require(try await warmMirror.head())
            #expect(try await coldMirror.head() == head)
            await warm.process(head: head)
            await cold.forgetLoads()
            await cold.process(head: head)
            // The clock prunes (every 30 s); here after every head, so that pruning is compared too.
            await warm.pruneBundles()
            await cold.pruneBundles()

            let warmTargets = await warm.engine.services.mapValues(\.targets)
            let coldTargets = await cold.engine.services.mapValues(\.targets)
            #expect(!warmTargets.isEmpty, "step \(step)")
            #expect(warmTargets == coldTargets, "step \(step)")
            #expect(await warm.configError == cold.configError, "step \(step)")
            #expect(await Set(warm.bundles.keys) == Set(cold.bundles.keys), "step \(step)")
            #expect(await warm.blobs == cold.blobs, "step \(step)")
            // Exactly the blobs the indexed bundles name are kept.
            for reconciler in [warm, cold] {
                let named = await Set(reconciler.bundles.values.flatMap { $0.bundle.files.map(\.blob) })
                #expect(await Set(reconciler.blobs.keys) == named, "step \(step)")
                // Each blob's count is the number of indexed bundle files naming it.
                var counted: [String: Int] = [:]
                for entry in await reconciler.bundles.values { for f in entry.bundle.files { counted[f.blob, default: 0] += 1 } }
                #expect(await reconciler.blobRefs == counted, "step \(step)")
            }
            // Every bundle the engine targets can be served, with every blob it names; some have files.
            let bundles = await warm.bundles
            let blobs = await warm.blobs
            // No agent runs here, so rollouts are held (nothing verified) with the bundles they would place.
            let warmPlaced = await warm.engine.services.mapValues { s in
                Dictionary((s.heldRevision?.placements ?? []).map { ($0.server, $0.bundle) }, uniquingKeysWith: { a, _ in a })
            }
            let coldPlaced = await cold.engine.services.mapValues { s in
                Dictionary((s.heldRevision?.placements ?? []).map { ($0.server, $0.bundle) }, uniquingKeysWith: { a, _ in a })
            }
            #expect(warmPlaced == coldPlaced, "step \(step)")
            #expect(warmPlaced.values.contains { $0.values.contains { bundles[$0]?.bundle.files.isEmpty == false } }, "step \(step)")
            for placed in warmPlaced.values {
                for id in placed.values {
                    for file in bundles[id]?.bundle.files ?? [] { #expect(blobs[file.blob] != nil, "step \(step): \(file.target)") }
                }
            }
            for (service, targets) in warmTargets {
                for (server, id) in targets {
                    let bundle = try #require(bundles[id]?.bundle, "step \(step): \(service) on \(server)")
                    for file in bundle.files { #expect(blobs[file.blob] != nil, "step \(step): \(file.target)") }
                }
            }
        }
        // The warm reconciler did reuse (a cold one forgets before every head).
        #expect(await warm.lastBuilt != nil)
        #expect(await warm.loadCacheHits > 0)
        #expect(await cold.loadCacheHits == 0)
    }
}
