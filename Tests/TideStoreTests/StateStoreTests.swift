import Foundation
import TideCore
import TideStore
import TideTestSupport
import Testing

@Suite struct StateStoreTests {
    static let policy = RolloutPolicy(
        waves: [.percent(1), .percent(50), .percent(100)], bake: .zero, waveTimeout: .seconds(60),
        maxFailures: .count(0))

    static func revision(_ sha: String, bundle: String, servers: [String], kind: NewRevision.Kind = .change)
        -> NewRevision
    {
        NewRevision(
            service: "web", revision: sha, lastGoodRevision: "good",
            placements: servers.map { .init(server: $0, bundle: bundle, lastGoodBundle: "B0") }, commits: [sha],
            kind: kind, policy: kind == .change ? policy : .defaultRollback)
    }

    /// Feeds events to an engine and the store the way the controller does: record, perform, mark done.
    struct Driver {
        var engine: RolloutEngine
        let store: StateStore
        var now: Int64 = 1_000_000

        @discardableResult
        mutating func send(_ event: RolloutEvent, actor: String = "tide") throws -> [StoredDecision] {
            let decisions = engine.handle(event)
            let stored = try store.record(event, actor: actor, engine: engine, decisions: decisions)
            for d in stored { try store.markDone(d.id, at: event.at) }
            return stored
        }

        mutating func healthy(_ servers: [String]) throws {
            for s in servers {
                try send(
                    .report(
                        server: s, service: "web", bundle: engine.target(service: "web", server: s) ?? "", phase: .healthy,
                        detail: nil, at: now))
            }
        }
    }

    @Test func createsTheSchemaInWALModeAndReopens() throws {
        let dir = try TempDirectory()
        do {
            let store = try StateStore(directory: dir("state"))
            #expect(try store.fileSchemaVersion() == StateStore.schemaVersion)
        }
        let mode = try Shell.check("sqlite3 \(Shell.quote(dir("state/tide.db"))) 'PRAGMA journal_mode'")
        #expect(mode.trimmingCharacters(in: .whitespacesAndNewlines) == "wal")
        let again = try StateStore(directory: dir("state"))
        #expect(try again.fileSchemaVersion() == StateStore.schemaVersion)
    }

    @Test func aNewerSchemaIsAClearErrorNotCorruption() throws {
        let dir = try TempDirectory()
        do { _ = try StateStore(directory: dir("state")) }
        try Shell.check("sqlite3 \(Shell.quote(dir("state/tide.db"))) 'UPDATE schema_version SET version = 99'")
        do {
            _ = try StateStore(directory: dir("state"))
            Issue.record("opened a newer schema")
        } catch let error as StoreError {
            #expect(error.code == .newerSchema)
            #expect(error.description.contains("99"))
            #expect(error.description.contains("not corrupt"))
        }
    }

    @Test func aSecondOpenIsRefusedWithTheHoldersPid() throws {
        let dir = try TempDirectory()
        var first: StateStore? = try StateStore(directory: dir("state"))
        do {
            _ = try StateStore(directory: dir("state"))
            Issue.record("two stores on one directory")
        } catch let error as StoreError {
            #expect(error.code == .locked)
            #expect(error.description.contains("pid \(getpid())"))
        }
        #expect(first != nil)
        first = nil
        _ = try StateStore(directory: dir("state"))
    }

    @Test func anotherProcessHoldingTheLockIsRefused() throws {
        let dir = try TempDirectory()
        try FileManager.default.createDirectory(atPath: dir("state"), withIntermediateDirectories: true)
        // A real other process: flock(1) holds the lock and writes its pid the way a controller would.
        let holderProcess = Process()
        holderProcess.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holderProcess.arguments = [
            "-n", dir("state/lock"), "sh", "-c", "echo $$ > \(Shell.quote(dir("state/lock"))); touch \(Shell.quote(dir("ready"))); exec sleep 20",
        ]
        holderProcess.standardOutput = FileHandle.nullDevice
        holderProcess.standardError = FileHandle.nullDevice
        try holderProcess.run()
        defer {
            holderProcess.terminate()
            holderProcess.waitUntilExit()
        }
        try waitUntil(timeout: .seconds(10), "the lock holder") { FileManager.default.fileExists(atPath: dir("ready")) }
        let holder = try String(contentsOfFile: dir("state/lock"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            _ = try StateStore(directory: dir("state"))
            Issue.record("opened a store another process holds")
        } catch let error as StoreError {
            #expect(error.code == .locked)
            #expect(error.description.contains("pid \(holder)"))
        }
        kill(pid_t(holder) ?? 0, SIGTERM)
    }

    @Test func aRolloutIsRecordedWithTargetsAuditAndLastGood() throws {
        let dir = try TempDirectory()
        let store = try StateStore(directory: dir("state"), snapshotEvery: 4)
        var d = Driver(engine: RolloutEngine(), store: store)
        let servers = ["a", "b", "c"]
        for s in servers { try d.send(.heard(server: s, at: d.now)) }
        try store.recordRevisionSeen(service: "web", revision: "r1", at: d.now)
        let started = try d.send(.revision(Self.revision("r1", bundle: "B1", servers: servers), at: d.now))
        #expect(started.contains { if case .release = $0.decision { true } else { false } })
        for _ in 0..<3 { try d.healthy(servers) }
        #expect(d.engine.currentRollout(service: "web")?.state == .succeeded)
        #expect(try store.targets(service: "web") == ["a": "B1", "b": "B1", "c": "B1"])
        #expect(try store.lastGoodRevision(service: "web") == "r1")
        #expect(try store.pendingDecisions().isEmpty)
        let rollout = try #require(try store.rollouts(service: "web").first)
        #expect(rollout.state == "succeeded" && rollout.healthy == 3 && rollout.waves == 3)
        #expect(try store.revisions(service: "web").first?.processedAt != nil)
        #expect(try store.observations(service: "web").map(\.phase) == ["healthy", "healthy", "healthy"])
        #expect(try store.lastSeen()["a"] == d.now)
        // The audit log: contiguous, every decision in it.
        let audit = try store.audit(AuditQuery(limit: 1000))
        #expect(audit.map(\.seq) == Array((1...Int64(audit.count)).reversed()))
        #expect(audit.filter { $0.action == "release" }.count == 3)
        #expect(audit.contains { $0.action == "mark-good" && $0.toRevision == "r1" })
        #expect(try store.loadEngine() == d.engine)
    }

    @Test func aBatchIsOneStepAndSnapshotsPruneOnlyEventsWithoutDecisions() throws {
        let dir = try TempDirectory()
        let store = try StateStore(directory: dir("state"), snapshotEvery: 5)
        var engine = RolloutEngine()
        let servers = (1...20).map { "s\($0)" }
        let now: Int64 = 1_000_000
        // Heard times for every server in one batch, then the revision, then the reports in one batch.
        var batch: [StateStore.Record] = []
        for s in servers {
            let event = RolloutEvent.heard(server: s, at: now)
            batch.append(.init(event: event, actor: "tide", decisions: engine.handle(event)))
        }
        try store.record(batch, engine: engine)
        let revision = RolloutEvent.revision(Self.revision("r1", bundle: "B1", servers: servers), at: now)
        for d in try store.record(revision, engine: engine, decisions: engine.handle(revision)) {
            try store.markDone(d.id, at: now)
        }
        for _ in 0..<3 {
            batch = []
            for s in servers {
                let event = RolloutEvent.report(
                    server: s, service: "web", bundle: engine.target(service: "web", server: s) ?? "", phase: .healthy,
                    detail: nil, at: now + 1)
                batch.append(.init(event: event, actor: "tide", decisions: engine.handle(event)))
            }
            for d in try store.record(batch, engine: engine) { try store.markDone(d.id, at: now + 1) }
        }
        #expect(engine.currentRollout(service: "web")?.state == .succeeded)
        // Snapshots were taken (every 5 events, only at the end of a batch) and pruned heard and report
        // rows before them; the rows that carry decisions stay, and the engine still loads the same.
        let kinds = try Shell.check("sqlite3 \(Shell.quote(dir("state/tide.db"))) 'SELECT kind FROM events ORDER BY seq'")
            .split(separator: "\n").map(String.init)
        #expect(!kinds.contains("heard"))
        #expect(kinds.contains("revision"))
        let orphans = try Shell.check(
            "sqlite3 \(Shell.quote(dir("state/tide.db"))) 'SELECT count(*) FROM decisions WHERE event_seq NOT IN (SELECT seq FROM events)'")
        #expect(orphans.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(try store.loadEngine() == engine)
        #expect(try store.targets(service: "web").count == servers.count)
    }

    @Test func aBreachQuarantinesAndRecordsTheRevertDecision() throws {
        let dir = try TempDirectory()
        let store = try StateStore(directory: dir("state"))
        var d = Driver(engine: RolloutEngine(), store: store)
        for s in ["a", "b", "c"] { try d.send(.heard(server: s, at: d.now)) }
        try d.send(.revision(Self.revision("r1", bundle: "B1", servers: ["a", "b", "c"]), at: d.now))
        let canary = try #require(d.engine.currentRollout(service: "web")?.members.first?.server)
        let decisions = try d.engine.handle(
            .report(server: canary, service: "web", bundle: "B1", phase: .failed, detail: "exit 1", at: d.now))
        let stored = try store.record(
            .report(server: canary, service: "web", bundle: "B1", phase: .failed, detail: "exit 1", at: d.now),
            engine: d.engine, decisions: decisions)
        // Not marked done: still pending, as after a crash before acting.
        let pending = try store.pendingDecisions()
        #expect(pending.map(\.id) == stored.map(\.id))
        #expect(pending.contains { if case .startRevert = $0.decision { true } else { false } })
        #expect(try store.quarantined(service: "web").map(\.bundle) == ["B1"])
        let reverts = try store.audit(AuditQuery(service: "web", action: "start-revert"))
        #expect(reverts.count == 1)
        #expect(reverts[0].detail.contains(canary))
        #expect(try store.rollout(id: d.engine.currentRollout(service: "web")!.id)?.state == "reverting")
    }

    @Test func operatorCommandsAreAuditedWithTheActor() throws {
        let dir = try TempDirectory()
        let store = try StateStore(directory: dir("state"))
        var d = Driver(engine: RolloutEngine(), store: store)
        for s in ["a", "b", "c"] { try d.send(.heard(server: s, at: d.now)) }
        try d.send(.revision(Self.revision("r1", bundle: "B1", servers: ["a", "b", "c"]), at: d.now))
        try d.send(.command(service: "web", .pause, at: d.now + 5), actor: "alice")
        let lines = try store.audit(AuditQuery(actor: "alice"))
        #expect(lines.count == 1)
        #expect(lines[0].action == "pause" && lines[0].toRevision == "r1")
        #expect(try store.audit(AuditQuery(service: "web", limit: 2)).count == 2)
        let newest = try store.audit(AuditQuery(limit: 1))[0].seq
        #expect(try store.audit(AuditQuery(beforeSeq: newest, limit: 1))[0].seq == newest - 1)
        #expect(try store.audit(AuditQuery(since: d.now + 5)).allSatisfy { $0.at >= d.now + 5 })
    }

    @Test func theAuditLogIsAppendOnly() throws {
        let dir = try TempDirectory()
        do {
            let store = try StateStore(directory: dir("state"))
            try store.appendAudit(AuditEntry(at: 1, actor: "bob", action: "release", service: "web", detail: "x"))
        }
        let db = Shell.quote(dir("state/tide.db"))
        let update = try Shell.run("sqlite3 \(db) \"UPDATE audit SET actor = 'eve'\"")
        #expect(update.status != 0 && update.stderr.contains("append-only"))
        let delete = try Shell.run("sqlite3 \(db) 'DELETE FROM audit'")
        #expect(delete.status != 0)
    }

    @Test(arguments: [1, 3, 1000])
    func theEngineIsRebuiltFromTheStoreAlone(snapshotEvery: Int) throws {
        let dir = try TempDirectory()
        var engine = RolloutEngine()
        do {
            engine = try Self.twoRollouts(try StateStore(directory: dir("state"), snapshotEvery: snapshotEvery))
        }
        let reopened = try StateStore(directory: dir("state"), snapshotEvery: snapshotEvery)
        #expect(try reopened.loadEngine() == engine)
    }

    /// Two rollouts over 8 servers and a failed report, recorded in `store`; the engine after them.
    static func twoRollouts(_ store: StateStore) throws -> RolloutEngine {
        var d = Driver(engine: RolloutEngine(), store: store)
        let servers = (0..<8).map { "s\($0)" }
        for s in servers { try d.send(.heard(server: s, at: d.now)) }
        try d.send(.revision(Self.revision("r1", bundle: "B1", servers: servers), at: d.now))
        try d.healthy(servers)
        d.now += 10_000
        try d.send(.tick(at: d.now))
        try d.send(.revision(Self.revision("r2", bundle: "B2", servers: servers), at: d.now))
        try d.healthy(servers)
        try d.send(.report(server: "s7", service: "web", bundle: "B1", phase: .failed, detail: nil, at: d.now))
        return d.engine
    }

    /// The snapshot put together service by service is byte for byte what JSONEncoder writes.
    @Test func snapshotTextIsJSONEncodersWithSortedKeys() throws {
        let dir = try TempDirectory()
        var engine = try Self.twoRollouts(try StateStore(directory: dir("state")))
        for name in ["api", "Zeta", "db-2", "db-10"] {
            var other = Self.revision("r9", bundle: "B9", servers: ["s1", "s2"])
            other.service = name
            _ = engine.handle(.revision(other, at: 2_000_000))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let whole = String(decoding: try encoder.encode(engine), as: UTF8.self)
        #expect(try StateStore.snapshotJSON(engine) == whole)
        #expect(try JSONDecoder().decode(RolloutEngine.self, from: Data(StateStore.snapshotJSON(engine).utf8)) == engine)
    }

    /// A revision event with placements written by hand is byte for byte JSONEncoder's, odd names included.
    @Test func revisionEventTextIsJSONEncoders() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var names = (0..<40).map { "srv-\($0)" }
        names += ["a/b", "quote\"d", "back\\slash", "tab\there", "nl\nx", "bell\u{07}", "é-ü-☃", "ctl\u{1f}\u{0c}\u{08}\r"]
        var revision = Self.revision("r1", bundle: "B1", servers: names)
        for kind in [NewRevision.Kind.change, .tideRevert] {
            revision.kind = kind
            revision.retry = kind == .tideRevert
            revision.lastGoodRevision = kind == .change ? "good" : nil
            let event = RolloutEvent.revision(revision, at: 1_700_000_000_123)
            let fast = try StateStore.eventJSON(event, encoder: encoder)
            #expect(fast == String(decoding: try encoder.encode(event), as: UTF8.self))
            #expect(try JSONDecoder().decode(RolloutEvent.self, from: Data(fast.utf8)) == event)
        }
    }

    /// As the controller runs it: due snapshots are encoded off the caller's thread while it records more.
    @Test func backgroundSnapshotsRebuildTheSameEngine() throws {
        let dir = try TempDirectory()
        var engine = RolloutEngine()
        do {
            let store = try StateStore(directory: dir("state"), snapshotEvery: 2, backgroundSnapshots: true)
            engine = try Self.twoRollouts(store)
            store.waitForSnapshot()
        }
        let db = Shell.quote(dir("state/tide.db"))
        let seq = try Shell.check("sqlite3 \(db) 'SELECT event_seq FROM snapshots'").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((Int(seq) ?? 0) > 1, "a snapshot was written in the background")
        let reopened = try StateStore(directory: dir("state"))
        #expect(try reopened.loadEngine() == engine)
    }
}
