import Foundation
import TideConfig
import TideGit
import TideStore

extension Reconciler {
    /// For `tide-bench plan` only: a controller's reconciler following `branch` of `repo`, its state in
    /// `stateDirectory` (created). Each call of the returned function fetches the branch and hands the new
    /// head to the real `process(head:)` (load, bundles, revisions, engine, store, publish), returning how
    /// long `process` took. With `reuse` false, every head is loaded cold (no parse cache, no previous bundles).
    public static func planBenchmark(
        repo: String, branch: String = "main", stateDirectory: String, reuse: Bool = true
    ) async throws -> @Sendable () async throws -> Duration {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        var options = ControllerOptions(repo: repo, stateDirectory: stateDirectory)
        options.branch = branch
        options.startupGrace = .zero
        let mirror = try GitMirror(path: stateDirectory + "/mirror.git", remote: GitRemote(url: repo), branch: branch)
        let reconciler = try Reconciler(
            options: options, store: try StateStore(directory: stateDirectory, snapshotEvery: Controller.snapshotEvery, snapshotMinInterval: Controller.snapshotMinInterval,
                backgroundSnapshots: true), mirror: mirror, board: DesiredStateBoard(),
            metrics: TideMetrics(), fetchTrigger: FetchTrigger())
        await reconciler.restore()
        return {
            _ = try await mirror.fetch()
            guard let head = try await mirror.head() else { throw GitError(.notFound, "no head", doing: "fetching \(repo)") }
            if !reuse { await reconciler.forgetLoads() }
            let clock = ContinuousClock()
            let started = clock.now
            await reconciler.process(head: head)
            return clock.now - started
        }
    }

    /// Files whose parse result loads reused so far (for tests).
    var loadCacheHits: Int { configCache.hits }

    /// Drops what loads keep for the next one, so that the next head is loaded cold.
    func forgetLoads() {
        configCache = ConfigLoadCache()
        lastBuilt = nil
        lastIndexed = [:]
    }
}
