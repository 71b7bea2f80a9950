import Foundation
import TideConfig
import TideCore
import TideGit
import TideLog
import TideStore

/// The controller's loop: reads new heads of the branch, turns them into revisions per service, feeds
/// the rollout engine with revisions, reports and time, persists every decision before acting on it,
/// and performs the decisions (serve new desired state, revert in Git, mark good, notify).
///
/// One actor owns the engine, so events are handled one at a time in a definite order. Git and the
/// store are called from here; Git's blocking work runs on the mirror's own queue.
public actor Reconciler {
    /// A bundle the controller can serve, and the revision it was built from.
    struct IndexedBundle {
        var bundle: TideCore.Bundle
        var revision: String
    }

    /// What an agent said last, for status pages (kept in memory; the store has the ones that mattered).
    struct Observed {
        var bundle: String
        var phase: String
        var detail: String?
        var at: Int64
    }

    let options: ControllerOptions
    let store: StateStore
    let mirror: GitMirror
    let board: DesiredStateBoard
    let metrics: TideMetrics
    /// Sends rollout notices to tide.yaml's `notify:` targets; replaced when they change.
    var notifier: Notifier?
    var notifierTask: Task<Void, Never>?
    let fetchTrigger: FetchTrigger
    let identity: (name: String, email: String)

    var engine: RolloutEngine
    var bundles: [String: IndexedBundle] = [:]
    var blobs: [String: [UInt8]] = [:]
    /// The inventory of the newest valid config.
    var inventory: [String: Server] = [:] {
        didSet { if inventory.count != oldValue.count { board.setHeartbeat(forServers: inventory.count) } }
    }
    var config: FleetConfig?
    var observed: [String: [String: Observed]] = [:]
    var lastRecordedHeard: [String: Int64] = [:]
    /// Each service's bundles as last indexed, and the services some of whose bundles were pruned since.
    var lastIndexed: [String: [String: TideCore.Bundle]] = [:]
    var prunedSince: Set<String> = []
    /// A head's revisions are being handed to the engine (gauges wait for the end of the pass).
    var planning = false
    /// When bundles were last pruned, and whether a head indexed any since.
    var lastPrunedAt: Int64 = 0
    var bundlesIndexedSincePrune = false
    static let pruneInterval: Duration = .seconds(30)
    /// A `processHeadIfNew` pass is running.
    var processingHead = false
    /// The branch head whose revisions were handed to the engine.
    var processedHead: String?
    var head: String?
    var lastFetchAt: Int64?
    var fetchError: String?
    var configError: String?
    let startedAt: Int64
    /// Revert decisions being carried out, by decision id, so none runs twice at once.
    var revertsRunning: Set<Int64> = []
    /// The servers-by-phase gauges need recounting (a phase or a target changed), and when they last were.
    var phasesDirty = true
    var phasesCountedAt: Int64 = 0
    /// When the servers holding blocking queries were last heard together (see `tick`).
    var lastWaitingHeard: Int64 = 0
    /// Reports and heard times waiting for the next batch (see `flushBatch`).
    var batch: [Batched] = []
    var batchScheduled = false
    /// Failures already counted in the metrics, per rollout.
    var failureCounts: [String: (failed: Int, timedOut: Int, offline: Int)] = [:]

    /// Heard events are persisted at most this often per server (they only move `lastHeard`).
    static let heardPersistInterval: Int64 = 30_000
    /// Blocking queries are held at most this long, so a waiting agent is heard well within `offlineAfter`.
    static let maxWait: Duration = .seconds(60)
    /// While an agent waits in a blocking query it is heard this often.
    static let heardWhileWaiting: Duration = .seconds(3)

    init(
        options: ControllerOptions, store: StateStore, mirror: GitMirror, board: DesiredStateBoard,
        metrics: TideMetrics, fetchTrigger: FetchTrigger
    ) throws {
        self.options = options
        self.store = store
        self.mirror = mirror
        self.board = board
        self.metrics = metrics
        self.fetchTrigger = fetchTrigger
        self.identity = (options.authorName, options.authorEmail)
        self.engine = try store.loadEngine()
        self.startedAt = Reconciler.now()
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    var inStartupGrace: Bool { Self.now() - startedAt < options.startupGrace.milliseconds }

    // MARK: start-up

    /// Rebuilds what the agents should hold from the store and the mirror, and finishes the decisions a
    /// previous run recorded but did not confirm done. Call once before serving agents.
    func restore() async {
        processedHead = try? await mirror.tideRef("processed")
        head = try? await mirror.head()
        var revisions = Set<String>()
        for service in engine.services.values {
            if let r = service.lastGoodRevision { revisions.insert(r) }
            if let r = service.lastRevision { revisions.insert(r) }
            if let r = service.current { revisions.insert(r.revision) }
            // Not the history's: no server is sent an archived rollout's bundles (pruning drops them),
            // and each revision loaded is a whole config read.
        }
        if let processedHead { revisions.insert(processedHead) }
        for revision in revisions.sorted() {
            if let loaded = load(revision: revision) { index(loaded.bundles, revision: revision) }
        }
        if let processedHead, let loaded = load(revision: processedHead), let valid = loaded.configOrNil {
            config = valid
            configureNotifier(valid.notify)
            inventory = Dictionary(loaded.config.servers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        }
        for obs in (try? store.observations()) ?? [] {
            observed[obs.server, default: [:]][obs.service] = Observed(
                bundle: obs.bundle, phase: obs.phase, detail: obs.detail, at: obs.reportedAt)
        }
        publishAllTargets()
        let pending = (try? store.pendingDecisions()) ?? []
        if !pending.isEmpty {
            Log.notice("controller.resume", ["pending_decisions": pending.count])
        }
        for decision in pending { perform(decision) }
        updateMetrics()
    }

    // MARK: fetching and new heads

    /// Fetches the branch, then hands any new head to the engine. A failed fetch changes nothing:
    /// rollouts in flight wait and the source is reported stale.
    func fetchAndProcess(cause: TideMetrics.FetchCause) async {
        let clock = ContinuousClock()
        let started = clock.now
        do {
            let update = try await mirror.fetch()
            metrics.recordFetch(cause: cause, duration: clock.now - started, succeeded: true)
            lastFetchAt = Self.now()
            if fetchError != nil { Log.notice("git.fetch.recovered", ["repo": mirror.remote.displayURL]) }
            fetchError = nil
            head = update.newHead
            metrics.setHead(branch: options.branch, revision: update.newHead)
            if update.kind == .forcePush {
                audit(
                    action: "force-push", service: nil, from: update.oldHead, to: update.newHead,
                    detail:
                        "the branch was force-pushed: \(update.droppedCommits.count) commits left it (\(update.droppedCommits.prefix(5).map { String($0.prefix(7)) }.joined(separator: ", "))); following the new head"
                )
                Log.warning("git.force_push", ["branch": options.branch, "old": update.oldHead ?? "-", "new": update.newHead])
            }
        } catch {
            metrics.recordFetch(cause: cause, duration: clock.now - started, succeeded: false)
            let message = "\(error)"
            if fetchError != message {
                Log.error("git.fetch.failed", ["repo": mirror.remote.displayURL, "error": message])
            }
            fetchError = message
            return
        }
        await processHeadIfNew()
    }

    /// Hands the mirror's head to the engine when it differs from the last head handled.
    func processHeadIfNew() async {
        // One pass at a time. The clock's loop and the fetcher both call this, and a pass awaits Git
        // work: without the flag a second caller entered the actor meanwhile and planned the same head
        // again (its rollout decided once, but the 10,000-placement revision written twice). A head
        // that arrives during a pass is taken by the clock's next call.
        guard !processingHead else { return }
        processingHead = true
        defer { processingHead = false }
        guard let head = try? await mirror.head(), head != processedHead else { return }
        guard !inStartupGrace else {
            // Agents are still reconnecting; releasing now would skip them all as offline. Learn the
            // inventory meanwhile, so that they are answered.
            if inventory.isEmpty, let loaded = load(revision: head), let config = loaded.configOrNil {
                inventory = Dictionary(config.servers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            }
            return
        }
        await process(head: head)
    }

    /// Works out, per service, whether `head` changes what any server should hold, and tells the engine.
    func process(head newHead: String) async {
        let clock = ContinuousClock()
        let started = clock.now
        // Where a head's time goes, in the `plan.done` line (ms per step): what `tide_plan_duration_seconds` sums.
        var steps: [(String, ContinuousClock.Instant)] = []
        func step(_ name: String) { steps.append((name, clock.now)) }
        defer {
            let total = clock.now - started
            metrics.planDuration.observe(total)
            var fields: [(String, Any)] = [("revision", newHead), ("ms", Self.milliseconds(total))]
            var last = started
            for (name, at) in steps {
                fields.append((name + "_ms", Self.milliseconds(at - last)))
                last = at
            }
            Log.write(.info, "plan.done", fields)
        }
        let previous = processedHead
        let update: BranchUpdate
        do {
            update = try await mirror.update(from: previous, to: newHead)
        } catch {
            // The old head may be gone after a force push: treat the new head alone.
            guard let u = try? await mirror.update(from: nil, to: newHead) else {
                Log.error("git.read.failed", ["revision": newHead, "error": "\(error)"])
                return
            }
            update = u
        }
        step("diff")
        guard let loaded = load(revision: newHead) else { return }
        step("load")
        guard let newConfig = loaded.configOrNil else {
            holdInvalid(revision: newHead, diagnostics: loaded.diagnostics, update: update)
            await markProcessed(newHead)
            return
        }
        configError = nil
        config = newConfig
        configureNotifier(newConfig.notify)
        inventory = Dictionary(newConfig.servers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        index(loaded.bundles, revision: newHead)
        step("index")

        let services = Set(newConfig.services.keys).union(engine.services.keys).sorted()
        // Git work first (it awaits), then all engine events in one synchronous pass.
        var revisions: [NewRevision] = []
        for name in services {
            guard let revision = await newRevision(service: name, head: newHead, config: newConfig,
                bundles: loaded.bundles, update: update) else { continue }
            revisions.append(revision)
        }
        step("placements")
        // Gauges are brought up to date once, after every revision; bundles no server needs any more
        // are pruned by the clock (`tick`), not on the way to the first wave.
        planning = true
        for revision in revisions {
            try? store.recordRevisionSeen(service: revision.service, revision: revision.revision, at: Self.now())
            apply(.revision(revision, at: Self.now()), actor: actorName(for: update, service: revision.service))
        }
        planning = false
        step("engine")
        await markProcessed(newHead)
        updateMetrics(phases: false)
        step("finish")
    }

    static func milliseconds(_ d: Duration) -> String {
        String(format: "%.1f", Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
    }

    /// The engine's input for `service` at `head`, or nil when nothing it holds would change.
    func newRevision(
        service name: String, head: String, config: FleetConfig, bundles: FleetBundles, update: BranchUpdate
    ) async -> NewRevision? {
        let state = engine.services[name]
        let spec = config.services[name]
        let emptyID = TideCore.Bundle.empty(service: name).id
        let bundleOf: (String) -> String = { server in
            spec == nil ? emptyID : bundles.bundle(service: name, server: server).id
        }
        // The servers a service selects are the keys of its bundles: compare those with the engine's
        // targets before looking at the inventory (most services of a commit do not change).
        let built = spec == nil ? [:] : bundles.bundles[name] ?? [:]
        // What each server will hold once the running rollout is done: its member's bundle, else its
        // target. A head that changes none of that (a commit to another service) leaves the running
        // rollout alone; comparing with the targets alone superseded it and restarted its waves.
        var intended = state?.targets ?? [:]
        if let r = state?.current, !r.state.isTerminal {
            for m in r.members { intended[m.server] = m.bundle }
        }
        let changes = built.contains { intended[$0.key] != $0.value.id }
            || intended.contains { built[$0.key] == nil && $0.value != emptyID }
        guard changes || state?.hold != nil else { return nil }
        let selected = spec.map { s in config.servers.filter { $0.matches(s.selector) } } ?? []
        var members = Dictionary(selected.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for server in (state?.targets.keys).map(Array.init) ?? [] where members[server] == nil {
            members[server] = inventory[server] ?? Server(name: server)
        }

        let touching = update.commits.filter { $0.services.contains(name) }
        let newest = touching.last ?? update.commits.last
        var kind = newest.map(Self.kind(of:)) ?? .change
        // Reverting a revert re-applies a change: it goes through the canary waves like any change,
        // never everywhere at once with the rollback policy.
        if kind.isRevert, let newest, let reverted = Self.revertedCommit(in: newest.message),
            let original = try? await mirror.commit(reverted), original.message.contains("This reverts commit ")
        {
            kind = .change
        }
        let policySource = spec ?? ServiceSpec(
            name: name, selector: [:], rollout: config.rolloutDefaults, rollback: config.rollbackDefaults)
        let policy = kind.isRevert ? policySource.rollback : policySource.rollout
        var commits: [String] = []
        if let good = state?.lastGoodRevision {
            commits = ((try? await mirror.commits(touchingService: name, from: good, to: head)) ?? []).map(\.sha)
        }
        let order = WavePlanner.order(Array(members.values), policy: policy, salt: name)
        let placements = order.map {
            NewRevision.Placement(
                server: $0.name, bundle: bundleOf($0.name), lastGoodBundle: state?.lastGood[$0.name] ?? emptyID)
        }
        let retry = touching.contains { Self.trailer("Tide-Retry", in: $0.message)?.lowercased() == "true" }
        return NewRevision(
            service: name, revision: head, lastGoodRevision: state?.lastGoodRevision, placements: placements,
            commits: commits, kind: kind, policy: policy, retry: retry)
    }

    /// A revert is recognised by its `This reverts commit` line; Tide's own carry `Tide-Rollout`.
    static func kind(of commit: GitCommit) -> NewRevision.Kind {
        guard commit.message.contains("This reverts commit ") else { return .change }
        return trailer("Tide-Rollout", in: commit.message) != nil ? .tideRevert : .manualRevert
    }

    /// The SHA named by a revert's `This reverts commit <sha>.` line.
    static func revertedCommit(in message: String) -> String? {
        guard let range = message.range(of: "This reverts commit ") else { return nil }
        let sha = message[range.upperBound...].prefix { $0.isHexDigit }
        return sha.count >= 7 ? String(sha) : nil
    }

    /// The value of trailer `key` in a commit message, if present.
    static func trailer(_ key: String, in message: String) -> String? {
        for line in message.split(separator: "\n").reversed() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.lowercased().hasPrefix(key.lowercased() + ":") {
                return text.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    func actorName(for update: BranchUpdate, service: String) -> String {
        let commit = update.commits.last(where: { $0.services.contains(service) }) ?? update.commits.last
        return commit.map { "\($0.authorName) <\($0.authorEmail)>" } ?? "tide"
    }

    /// Invalid config never rolls out: the services it concerns are held at their last good revision.
    func holdInvalid(revision: String, diagnostics: [Diagnostic], update: BranchUpdate) {
        let errors = diagnostics.filter { $0.severity == .error }
        let text = errors.prefix(5).map(\.description).joined(separator: "; ")
            + (errors.count > 5 ? "; and \(errors.count - 5) more" : "")
        configError = "config at \(revision.prefix(7)) is invalid: \(text)"
        Log.error("config.invalid", ["revision": revision, "errors": errors.count, "first": errors.first?.description ?? ""])
        var concerned = Set<String>()
        var fleetWide = false
        for d in errors {
            let parts = d.position.file.split(separator: "/")
            if parts.count >= 2, parts[0] == "services" { concerned.insert(String(parts[1])) } else { fleetWide = true }
        }
        if fleetWide { concerned.formUnion(engine.services.keys) }
        for service in concerned.sorted() {
            let detail = errors.filter { fleetWide || $0.position.file.hasPrefix("services/\(service)/") }
                .prefix(5).map(\.description).joined(separator: "; ")
            apply(
                .invalidConfig(service: service, revision: revision, detail: detail, at: Self.now()),
                actor: actorName(for: update, service: service))
        }
    }

    func markProcessed(_ head: String) async {
        processedHead = head
        do { try await mirror.setTideRef("processed", to: head) } catch {
            Log.error("git.ref.failed", ["ref": "refs/tide/processed", "error": "\(error)"])
        }
    }

    // MARK: loading revisions

    /// Parsed files kept between loads of revisions (only the actor uses it).
    var configCache = ConfigLoadCache()
    /// The last valid config loaded and its bundles, reused by the next load for what did not change.
    var lastBuilt: (config: FleetConfig, bundles: FleetBundles)?
    /// Per blob of `blobs`, how many indexed bundle files name it.
    var blobRefs: [String: Int] = [:]

    struct Loaded {
        var configOrNil: FleetConfig?
        var diagnostics: [Diagnostic]
        var bundles: FleetBundles
        var config: FleetConfig { configOrNil ?? FleetConfig() }
    }

    /// Reads and validates the config at `revision` from the mirror (no checkout) and builds its bundles.
    /// Files unchanged since an earlier load are not parsed again (`configCache`), and bundles whose
    /// inputs are unchanged since the last valid load are reused (`lastBuilt`).
    func load(revision: String) -> Loaded? {
        do {
            let tree = try mirror.tree(at: revision)
            let (config, diagnostics) = ConfigLoader.load(tree, cache: configCache)
            guard let config else { return Loaded(configOrNil: nil, diagnostics: diagnostics, bundles: FleetBundles()) }
            let bundles = lastBuilt.map { FleetBundles.build(config, reusing: $0.bundles, of: $0.config) } ?? FleetBundles.build(config)
            if bundles.diagnostics.contains(where: { $0.severity == .error }) {
                return Loaded(configOrNil: nil, diagnostics: diagnostics + bundles.diagnostics, bundles: FleetBundles())
            }
            lastBuilt = (config, bundles)
            return Loaded(configOrNil: config, diagnostics: diagnostics, bundles: bundles)
        } catch {
            Log.error("git.read.failed", ["revision": revision, "error": "\(error)"])
            return nil
        }
    }

    /// Makes every bundle of a revision servable by id, with its blobs.
    func index(_ built: FleetBundles, revision: String) {
        for (service, perServer) in built.bundles {
            // The same bundles as last time (one dictionary, shared by the reusing build: compared in
            // O(1)), none of them pruned since: all indexed already.
            if !prunedSince.contains(service), let last = lastIndexed[service], last == perServer { continue }
            lastIndexed[service] = perServer
            prunedSince.remove(service)
            bundlesIndexedSincePrune = true
            let empty = TideCore.Bundle.empty(service: service)
            if bundles[empty.id] == nil { bundles[empty.id] = IndexedBundle(bundle: empty, revision: revision) }
            // A service's bundles share one file array (`FileList`) and differ in their own few files:
            // count the shared array's blobs once per run of bundles sharing it, each bundle's own files
            // one by one. At 10,000 per-server bundles of 100 files, one dictionary update per file was
            // most of this step.
            var base: [BundleFile] = []
            var slots: [Int] = []
            var sharing = 0
            func addBlob(_ blob: String, _ count: Int) {
                blobRefs[blob, default: 0] += count
                if blobs[blob] == nil { blobs[blob] = built.blobs[blob] }
            }
            func flushShared() {
                guard sharing > 0 else { return }
                for (position, file) in base.enumerated() where !slots.contains(position) { addBlob(file.blob, sharing) }
                sharing = 0
            }
            for bundle in perServer.values where bundles[bundle.id] == nil {
                bundles[bundle.id] = IndexedBundle(bundle: bundle, revision: revision)
                let parts = bundle.files.parts
                // Array == is O(1) for one shared array.
                if sharing == 0 || parts.slots != slots || parts.base != base {
                    flushShared()
                    base = parts.base
                    slots = parts.slots
                }
                sharing += 1
                for file in parts.own { addBlob(file.blob, 1) }
            }
            flushShared()
        }
    }

    /// Forgets bundles and blobs no server targets and no rollout or last good revision needs.
    func pruneBundles() {
        lastPrunedAt = Self.now()
        bundlesIndexedSincePrune = false
        var keep = Set<String>()
        for service in engine.services.values {
            keep.formUnion(service.targets.values)
            keep.formUnion(service.lastGood.values)
            if let r = service.current { for m in r.members { keep.insert(m.bundle); keep.insert(m.lastGoodBundle) } }
            for c in service.catchUp.values { keep.insert(c.bundle) }
            if let held = service.heldRevision { for p in held.placements { keep.insert(p.bundle) } }
        }
        let removed = bundles.filter { !keep.contains($0.key) && !$0.value.bundle.isEmpty }
        // A blob goes with the last indexed bundle that names it (work in proportion to what is removed).
        for (id, entry) in removed {
            bundles[id] = nil
            prunedSince.insert(entry.bundle.service)
            for file in entry.bundle.files {
                let count = (blobRefs[file.blob] ?? 1) - 1
                if count > 0 {
                    blobRefs[file.blob] = count
                } else {
                    blobRefs[file.blob] = nil
                    blobs[file.blob] = nil
                }
            }
        }
    }

    // MARK: events in, decisions out

    /// Hands `event` to the engine; persists the event with its decisions in one transaction, then performs
    /// them. Events that change nothing but the clock are not written (they would only grow the log).
    @discardableResult
    func apply(_ event: RolloutEvent, actor: String = "tide", force: Bool = false) -> [RolloutDecision] {
        let (decisions, changed, heardDue) = handle(event)
        guard force || changed || heardDue || !decisions.isEmpty else { return decisions }
        let stored: [StoredDecision]
        do {
            stored = try store.record(event, actor: actor, engine: engine, decisions: decisions)
        } catch {
            storeWriteFailed(error, what: "\(event)".prefix(200))
            return []
        }
        noteRecorded(event)
        for decision in stored { perform(decision) }
        if !decisions.isEmpty, !planning { updateMetrics() }
        return decisions
    }

    /// Runs `event` through the engine in place and says what it did: its decisions, whether it
    /// moved a service on (its progress mark changed; revisions, commands and revert outcomes always
    /// count), and whether it carries a heard time due for the store. O(1) per report: no copy of the
    /// engine, no comparison of whole server maps.
    func handle(_ event: RolloutEvent) -> (decisions: [RolloutDecision], changed: Bool, heardDue: Bool) {
        let watched: [String]
        switch event {
        case .report(_, let service, _, _, _, _): watched = [service]
        case .tick: watched = engine.services.compactMap { $0.value.current?.state.isTerminal == false ? $0.key : nil }
        default: watched = []
        }
        let marks = watched.map { engine.progressMark(service: $0) }
        // Hearing from a server ends its pending catch-ups (a release, or nothing when it already
        // holds the bundle): either way a change to write.
        var catchingUp = false
        if let (server, _) = Self.heardTime(event) {
            catchingUp = engine.hasCatchUp(server: server)
        }
        #if DEBUG
            let before = engine  // tests check the marks against a full comparison (O(servers): debug only)
        #endif
        let decisions = engine.handle(event)
        var changed = !decisions.isEmpty || catchingUp
        var heardDue = false
        switch event {
        case .heard(let server, let at):
            // Being heard changes a service only through a catch-up release, which is a decision.
            heardDue = at - (lastRecordedHeard[server] ?? 0) >= Self.heardPersistInterval
        case .report(let server, _, _, _, _, let at):
            heardDue = at - (lastRecordedHeard[server] ?? 0) >= Self.heardPersistInterval
            if watched.map({ engine.progressMark(service: $0) }) != marks { changed = true }
        case .revision, .invalidConfig, .command, .revertOutcome: changed = true
        case .tick:
            if watched.map({ engine.progressMark(service: $0) }) != marks { changed = true }
        }
        #if DEBUG
            if !changed, before.services != engine.services {
                Log.error("engine.mark.missed", ["event": "\(event)".prefix(300)])
                assertionFailure("an event changed a service without changing its progress mark: \(event)")
            }
        #endif
        return (decisions, changed, heardDue)
    }

    /// The server and time of a heard or report event.
    static func heardTime(_ event: RolloutEvent) -> (String, Int64)? {
        switch event {
        case .heard(let server, let at), .report(let server, _, _, _, _, let at): return (server, at)
        default: return nil
        }
    }

    func noteRecorded(_ event: RolloutEvent) {
        switch event {
        case .heard(let server, let at), .report(let server, _, _, _, _, let at): lastRecordedHeard[server] = at
        default: break
        }
    }

    /// A decision that could not be written is not performed: the engine goes back to what the store
    /// holds (snapshot + replay), so memory never runs ahead of the store.
    func storeWriteFailed(_ error: any Error, what: some StringProtocol) {
        Log.error("store.write.failed", ["error": "\(error)", "event": String(what)])
        do {
            engine = try store.loadEngine()
        } catch {
            Log.error("store.read.failed", ["error": "\(error)", "action": "keeping the engine in memory"])
        }
    }

    // MARK: batched reports

    /// Reports and heard times waiting to be handled together: one store transaction (one fsync) for
    /// everything that arrived while the previous batch was written. The HTTP answer to a report is
    /// sent once its batch is written.
    struct Batched {
        var event: RolloutEvent
        var done: CheckedContinuation<Void, any Error>?
    }

    /// Queues `event` for the next batch; `done` (if any) is resumed once the batch is written.
    func enqueue(_ event: RolloutEvent, done: CheckedContinuation<Void, any Error>? = nil) {
        batch.append(Batched(event: event, done: done))
        guard !batchScheduled else { return }
        batchScheduled = true
        Task { await self.flushBatch() }
    }

    /// Handles every queued event in order, writes those that matter in one transaction, performs
    /// their decisions, then answers the waiting reports.
    func flushBatch() {
        batchScheduled = false
        let items = batch
        batch = []
        guard !items.isEmpty else { return }
        var records: [StateStore.Record] = []
        var anyDecision = false
        for item in items {
            let (decisions, changed, heardDue) = handle(item.event)
            anyDecision = anyDecision || !decisions.isEmpty
            // A heard time is written (at most every 30s per server) as an event: replay needs it, as
            // the engine's offline decisions depend on when servers were last heard from.
            guard changed || heardDue else { continue }
            records.append(StateStore.Record(event: item.event, actor: "tide", decisions: decisions))
        }
        var stored: [StoredDecision] = []
        if !records.isEmpty {
            let clock = ContinuousClock()
            let started = clock.now
            do {
                stored = try store.record(records, engine: engine)
                metrics.storeWriteDuration.observe(clock.now - started)
            } catch {
                storeWriteFailed(error, what: "a batch of \(records.count) events")
                let failure = ControllerError(
                    503, "unavailable", detail: "the controller could not write its state; send the report again")
                for item in items { item.done?.resume(throwing: failure) }
                return
            }
        }
        for record in records { noteRecorded(record.event) }
        metrics.reportBatchSize.observe(Double(items.count))
        for decision in stored { perform(decision) }
        if anyDecision { updateMetrics() }
        for item in items { item.done?.resume() }
    }

    /// Carries out one persisted decision; marks it done unless it finishes later (a revert).
    func perform(_ stored: StoredDecision) {
        phasesDirty = true
        switch stored.decision {
        case .release(let service, let rollout, let wave, let targets):
            let revision = engine.services[service]?.current.flatMap { $0.id == rollout ? $0.revision : nil }
                ?? engine.rollout(id: rollout)?.revision
            for t in targets { publish(service: service, server: t.server, bundle: t.bundle, revision: revision) }
            Log.info(
                "rollout.release",
                ["service": service, "rollout": rollout, "wave": wave, "count": targets.count, "servers": Self.serverList(targets)])
        case .sendBack(let service, let rollout, let targets, let reason):
            for t in targets { publish(service: service, server: t.server, bundle: t.bundle) }
            Log.warning(
                "rollout.send_back",
                ["service": service, "rollout": rollout, "count": targets.count, "servers": Self.serverList(targets), "reason": reason])
        case .startRevert(let request):
            guard !revertsRunning.contains(stored.id) else { return }
            revertsRunning.insert(stored.id)
            let id = stored.id
            Task { await self.carryOutRevert(request, decision: id) }
            return
        case .hold(let service, let rollout, let revision, let reason):
            Log.error(
                "service.held",
                ["service": service, "rollout": rollout ?? "-", "revision": revision, "reason": reason,
                 "action": "a person must act: push a fix, or `tide release` a quarantined revision"])
        case .markGood(let service, let revision, _):
            metrics.setRevision(service: service, revision: revision)
            let mirror = self.mirror
            Task {
                do { try await mirror.setTideRef("good/\(service)", to: revision) } catch {
                    Log.error("git.ref.failed", ["ref": "refs/tide/good/\(service)", "error": "\(error)"])
                }
            }
        case .notify(let service, let rollout, let notice, let message):
            notify(service: service, rollout: rollout, notice: notice, message: message)
        }
        markDone(stored.id)
    }

    /// The first servers of `targets` for a log line (a wave at 10,000 servers would be a 100 KB line).
    static func serverList(_ targets: [RolloutDecision.Target]) -> String {
        let shown = targets.prefix(10).map(\.server).joined(separator: ",")
        return targets.count > 10 ? shown + ",… (\(targets.count - 10) more)" : shown
    }

    func markDone(_ id: Int64, outcome: String? = nil) {
        do { try store.markDone(id, at: Self.now(), outcome: outcome) } catch {
            Log.error("store.write.failed", ["error": "\(error)", "decision": id])
        }
    }

    /// Serves `bundle` to `server` for `service` (what its next blocking query answers), saying it is
    /// from `revision` (the releasing rollout's), or else from `revision(service:server:bundle:)`.
    func publish(service: String, server: String, bundle id: String, revision: String? = nil) {
        if let entry = bundles[id] {
            let from = revision ?? self.revision(service: service, server: server, bundle: id) ?? entry.revision
            board.set(
                server: server, service: service,
                to: AgentProtocol.DesiredService(service: service, revision: from, bundle: entry.bundle))
        } else if id == TideCore.Bundle.empty(service: service).id {
            board.set(
                server: server, service: service,
                to: AgentProtocol.DesiredService(
                    service: service, revision: processedHead ?? "", bundle: .empty(service: service)))
        } else {
            Log.error("bundle.unknown", ["service": service, "server": server, "bundle": id])
        }
    }

    /// The revision a server holding `bundle` of `service` is at: the current rollout's when it placed
    /// that bundle there, else the last good revision when the bundle is the last good one. Bundles are
    /// shared by content, so the commit that first built a bundle is not the answer: after Tide reverts
    /// a bad commit, the servers hold the old bytes again but are at the revert commit.
    func revision(service: String, server: String, bundle id: String) -> String? {
        guard let state = engine.services[service] else { return nil }
        if let r = state.current, r.member(server)?.bundle == id, !(r.state == .aborted || r.state == .reverted) {
            return r.revision
        }
        if state.lastGood[server] == id { return state.lastGoodRevision }
        return nil
    }

    func publishAllTargets() {
        for (service, state) in engine.services {
            for (server, bundle) in state.targets { publish(service: service, server: server, bundle: bundle) }
        }
    }

    func notify(service: String, rollout: String?, notice: RolloutDecision.Notice, message: String) {
        let level: Log.Level
        switch notice {
        case .breached, .held, .aborted: level = .error
        case .reverting, .reverted, .paused, .superseded: level = .warning
        default: level = .notice
        }
        Log.write(level, "rollout.\(notice.rawValue)", ["service": service, "rollout": rollout ?? "-", "message": message])
        let event: Notice.Event?
        switch notice {
        case .started: event = .rolloutStarted
        case .waveDone: event = .waveDone
        case .succeeded: event = .succeeded
        case .breached: event = .breached
        case .reverted: event = .reverted
        case .held: event = .held
        case .paused: event = .paused
        case .reverting, .resumed, .aborted, .superseded: event = nil
        }
        guard let event, let notifier else { return }
        let r = rollout.flatMap { engine.rollout(id: $0) }
        notifier.enqueue(
            Notice(event: event, service: service, rollout: rollout, revision: r?.revision, wave: r.map { $0.wave + 1 },
                   detail: message))
    }

    func audit(action: String, service: String?, from: String? = nil, to: String? = nil, detail: String, actor: String = "tide") {
        do {
            _ = try store.appendAudit(
                AuditEntry(at: Self.now(), actor: actor, action: action, service: service, fromRevision: from,
                           toRevision: to, detail: detail))
        } catch {
            Log.error("store.write.failed", ["error": "\(error)", "audit": action])
        }
    }

    // MARK: reports and time

    func tick() {
        // Gauges that follow reports and the clock (servers by phase, agents connected) stay fresh even
        // when no decision was made.
        defer { updateMetrics() }
        let now = Self.now()
        // At 10,000 servers a prune walks 100,000 targets and members: at most every `pruneInterval`
        // (bundles nobody needs stay that much longer), and only after a head brought new bundles.
        if bundlesIndexedSincePrune, now - lastPrunedAt >= Self.pruneInterval.milliseconds {
            pruneBundles()
        }
        if now - lastWaitingHeard >= Self.heardWhileWaiting.milliseconds {
            lastWaitingHeard = now
            for server in board.waitingServers() { enqueue(.heard(server: server, at: now)) }
        }
        // During the start-up grace agents reconnect; time does not move rollouts on until they have.
        guard !inStartupGrace else { return }
        apply(.tick(at: now))
    }

    /// An agent was heard from (a blocking query): handled with the next batch, nobody waits for it.
    func heard(server: String) {
        enqueue(.heard(server: server, at: Self.now()))
    }

    /// An agent's report: its events join the next batch; returns once that batch is written.
    func handleReport(server: String, _ report: AgentProtocol.Report) async throws {
        let now = Self.now()
        for r in report.services {
            guard engine.services[r.service] != nil else {
                throw ControllerError.badRequest("server \(server) does not run service \(r.service)")
            }
        }
        var events: [RolloutEvent] = report.services.map { r in
            .report(server: server, service: r.service, bundle: r.bundle, phase: r.phase, detail: r.detail, at: now)
        }
        for r in report.services {
            let previous = observed[server]?[r.service]
            if previous?.bundle != r.bundle || previous?.phase != r.phase.rawValue { phasesDirty = true }
            observed[server, default: [:]][r.service] = Observed(bundle: r.bundle, phase: r.phase.rawValue, detail: r.detail, at: now)
        }
        if events.isEmpty { events = [.heard(server: server, at: now)] }
        let last = events.removeLast()
        for event in events { enqueue(event) }
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            enqueue(last, done: done)
        }
    }
}

extension Reconciler {
    /// Persists a snapshot of the engine so the next start replays nothing.
    func shutdown() {
        do { try store.snapshot(engine) } catch { Log.error("store.write.failed", ["error": "\(error)"]) }
    }
}

extension Reconciler {
    /// Starts a notifier for `targets` (tide.yaml's `notify:`) unless the running one has the same targets.
    func configureNotifier(_ targets: [NotifyTarget]) {
        if let notifier, notifier.targets == targets { return }
        if notifier == nil, targets.isEmpty { return }
        notifierTask?.cancel()
        guard !targets.isEmpty else {
            notifier = nil
            notifierTask = nil
            return
        }
        let next = Notifier(targets: targets, metrics: metrics)
        notifier = next
        notifierTask = Task { await next.run() }
        Log.info("notify.targets", ["count": targets.count])
    }
}
