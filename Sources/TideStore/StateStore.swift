import Foundation
import TideCore

/// Tide's durable state: SQLite in WAL mode at `<directory>/tide.db`, locked to one live process.
///
/// Every method is synchronous and blocks its caller until SQLite is done (a commit with `.full`
/// durability waits for fsync). Calls are serialised by an internal lock, so the store may be shared,
/// but the controller should call it from one actor, or from a dedicated thread, not from many tasks.
///
/// The crash-safe pattern: `record` the event with the engine's decisions (stored `pending`, in the same
/// transaction as the event), then perform each decision, then `markDone` it. After a restart,
/// `loadEngine()` rebuilds the engine from the store alone (snapshot + replay of later events), and
/// `pendingDecisions()` lists what was decided and not yet confirmed done: perform each one in a way that
/// first checks whether it already happened (a release is idempotent; a revert checks the remote for its
/// `Tide-Rollout` trailer), then mark it done. Nothing is decided twice, because events are replayed, not redecided.
public final class StateStore: @unchecked Sendable {
    // Safe: every use of `database` and `statements` is under `lock`.
    private let lock = NSLock()
    private let database: Database
    private let stateLock: StateLock
    private var statements: [String: Statement] = [:]
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return e
    }()
    private let decoder = JSONDecoder()

    /// The directory holding `tide.db` and `lock`.
    public let directory: String
    public let durability: Durability
    /// The engine is snapshotted every this many events (and replayed from the last snapshot on open).
    public let snapshotEvery: Int64
    /// Snapshots are at least this far apart (a 10,000-server engine takes a while to encode); replay
    /// of the events since covers the rest.
    public let snapshotMinInterval: Duration
    /// Due snapshots are encoded on a background thread from a copy of the engine (the caller does not
    /// wait for a 10,000-server engine's JSON) and written when ready; at most one is in flight.
    public let backgroundSnapshots: Bool
    private var eventsSinceSnapshot: Int64 = 0
    private var lastSnapshotAt: TimeInterval = 0
    private var snapshotInFlight = false
    private let snapshotDone = DispatchGroup()

    /// The newest schema version this binary knows.
    public static var schemaVersion: Int { Schema.version }

    /// Opens (creating if needed) the store in `directory`; refuses a directory another live process holds,
    /// and a database whose schema is newer than this binary knows.
    public init(
        directory: String, durability: Durability = .full, snapshotEvery: Int = 500, snapshotMinInterval: Duration = .zero,
        backgroundSnapshots: Bool = false
    ) throws {
        self.snapshotMinInterval = snapshotMinInterval
        self.backgroundSnapshots = backgroundSnapshots
        self.directory = directory
        self.durability = durability
        self.snapshotEvery = Int64(max(1, snapshotEvery))
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.io, doing: "creating the state directory \(directory)", message: "\(error)")
        }
        stateLock = try StateLock(directory: directory)
        database = try Database(path: directory + "/tide.db")
        try database.execute("PRAGMA journal_mode=WAL")
        try database.execute("PRAGMA synchronous=\(durability.pragma)")
        try database.execute("PRAGMA foreign_keys=ON")
        try migrate()
    }

    private func migrate() throws {
        try database.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        let rows = try database.prepare("SELECT version FROM schema_version").rows()
        let current = Int(rows.first?.first?.int ?? 0)
        if current > Schema.version {
            throw StoreError(
                .newerSchema, doing: "opening \(database.path)",
                message:
                    "its schema is version \(current), newer than the version \(Schema.version) this tide knows; the file is not corrupt: run a newer tide"
            )
        }
        for version in current..<Schema.version {
            try database.transaction {
                try database.execute(Schema.migrations[version])
                try database.execute("DELETE FROM schema_version")
                try database.execute("INSERT INTO schema_version (version) VALUES (\(version + 1))")
            }
        }
    }

    /// The schema version of the open database.
    public func fileSchemaVersion() throws -> Int {
        try locked { Int(try database.prepare("SELECT version FROM schema_version").rows().first?.first?.int ?? 0) }
    }

    private func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private func statement(_ sql: String) throws -> Statement {
        if let s = statements[sql] { return s }
        let s = try database.prepare(sql)
        statements[sql] = s
        return s
    }

    private func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    // MARK: the engine

    /// Records one engine step in one transaction: the event, its decisions as `pending`, what they change
    /// (targets, last good, quarantine, rollout rows), observations for reports, and the audit lines.
    /// `engine` is the state after the event (snapshotted every `snapshotEvery` events).
    /// Returns the stored decisions, in order, to perform and then `markDone`.
    @discardableResult
    public func record(
        _ event: RolloutEvent, actor: String = "tide", engine: RolloutEngine, decisions: [RolloutDecision]
    ) throws -> [StoredDecision] {
        try locked {
            try database.transaction {
                try recordLocked(event, actor: actor, engine: engine, decisions: decisions)
            }
        }
    }

    /// One engine step of a batch: the event, who caused it, and the decisions it made.
    public struct Record: Sendable {
        public var event: RolloutEvent
        public var actor: String
        public var decisions: [RolloutDecision]

        public init(event: RolloutEvent, actor: String, decisions: [RolloutDecision]) {
            self.event = event
            self.actor = actor
            self.decisions = decisions
        }
    }

    /// Records several engine steps, in order, in one transaction (one fsync for all of them): what the
    /// controller does with agent reports arriving together. `engine` is the state after the last one.
    /// Returns every stored decision, in order.
    @discardableResult
    public func record(_ records: [Record], engine: RolloutEngine) throws -> [StoredDecision] {
        guard !records.isEmpty else { return [] }
        return try locked {
            try database.transaction {
                var stored: [StoredDecision] = []
                for (i, r) in records.enumerated() {
                    stored += try recordLocked(
                        r.event, actor: r.actor, engine: engine, decisions: r.decisions, last: i == records.count - 1)
                }
                return stored
            }
        }
    }

    private func recordLocked(
        _ event: RolloutEvent, actor: String, engine: RolloutEngine, decisions: [RolloutDecision], last: Bool = true
    ) throws -> [StoredDecision] {
        let at = event.at
        let (kind, service) = Self.describe(event)
        try statement("INSERT INTO events (at, service, kind, actor, event) VALUES (?1, ?2, ?3, ?4, ?5)")
            .run([.integer(at), .opt(service), .text(kind), .text(actor), .text(try Self.eventJSON(event, encoder: encoder))])
        let seq = database.lastInsertRowID

        switch event {
        case .report(let server, let service, let bundle, let phase, let detail, let at):
            try statement(
                """
                INSERT INTO observations (server, service, bundle, phase, detail, reported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                ON CONFLICT (server, service) DO UPDATE SET bundle = ?3, phase = ?4, detail = ?5, reported_at = ?6
                """
            ).run([.text(server), .text(service), .text(bundle), .text(phase.rawValue), .opt(detail), .integer(at)])
            try seen(server, at: at)
        case .heard(let server, let at):
            try seen(server, at: at)
        case .revision(let rev, let at):
            try statement(
                """
                INSERT INTO revisions (service, revision, seen_at, processed_at) VALUES (?1, ?2, ?3, ?3)
                ON CONFLICT (service, revision) DO UPDATE SET processed_at = ?3
                """
            ).run([.text(rev.service), .text(rev.revision), .integer(at)])
            try audit(
                AuditEntry(
                    at: at, actor: actor, action: "revision", service: rev.service, fromRevision: rev.lastGoodRevision,
                    toRevision: rev.revision,
                    detail: "\(rev.kind.rawValue), \(rev.placements.count) servers, \(rev.commits.count) commits"
                        + (rev.retry ? ", Tide-Retry" : "")))
        case .command(let service, let command, let at):
            try audit(
                AuditEntry(
                    at: at, actor: actor, action: Self.name(command), service: service,
                    toRevision: engine.currentRollout(service: service)?.revision,
                    detail: engine.currentRollout(service: service).map { "rollout \($0.id)" } ?? "no rollout"))
        case .invalidConfig(let service, let revision, let detail, let at):
            try audit(
                AuditEntry(
                    at: at, actor: actor, action: "invalid-config", service: service, toRevision: revision,
                    detail: detail))
        case .revertOutcome(let service, let rollout, let outcome, let at):
            let (action, detail): (String, String)
            switch outcome {
            case .pushed(let head): (action, detail) = ("revert-pushed", "rollout \(rollout): new head \(head)")
            case .conflicted(let d): (action, detail) = ("revert-conflicted", "rollout \(rollout): \(d)")
            case .pushFailed(let d): (action, detail) = ("revert-push-failed", "rollout \(rollout): \(d)")
            }
            try audit(AuditEntry(at: at, actor: actor, action: action, service: service, detail: detail))
        case .tick:
            break
        }

        var stored: [StoredDecision] = []
        var touchedRollouts: [String] = []
        for decision in decisions {
            try statement(
                """
                INSERT INTO decisions (event_seq, at, service, rollout, kind, decision, status)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending')
                """
            ).run([
                .integer(seq), .integer(at), .text(decision.service), .opt(decision.rollout),
                .text(Self.kind(decision)), .text(try json(decision)),
            ])
            let id = database.lastInsertRowID
            stored.append(StoredDecision(id: id, eventSeq: seq, at: at, decision: decision, status: .pending))
            try apply(decision, id: id, at: at, engine: engine)
            if let r = decision.rollout, !touchedRollouts.contains(r) { touchedRollouts.append(r) }
        }
        // Rollout rows: those decided about, and the running rollouts the event could have moved.
        var services: [String] = []
        if let service { services.append(service) }
        if case .tick = event { services = engine.services.keys.sorted() }
        for s in services {
            if let r = engine.currentRollout(service: s), !touchedRollouts.contains(r.id) { touchedRollouts.append(r.id) }
        }
        for id in touchedRollouts {
            if let r = engine.rollout(id: id) { try upsert(r, at: at) }
        }
        // `engine` is the state after the last event of a batch: only then may it be snapshotted as of `seq`.
        eventsSinceSnapshot += 1
        if last, eventsSinceSnapshot >= snapshotEvery, !snapshotInFlight,
            Date().timeIntervalSince1970 - lastSnapshotAt >= Double(snapshotMinInterval.milliseconds) / 1000
        {
            if backgroundSnapshots {
                snapshotInBackground(engine, seq: seq)
            } else {
                try snapshotLocked(engine, seq: seq)
            }
        }
        return stored
    }

    private func seen(_ server: String, at: Int64) throws {
        try statement(
            """
            INSERT INTO servers_seen (server, last_seen) VALUES (?1, ?2)
            ON CONFLICT (server) DO UPDATE SET last_seen = max(last_seen, ?2)
            """
        ).run([.text(server), .integer(at)])
    }

    /// Writes what a decision changes in the store's tables, and its audit line.
    private func apply(_ decision: RolloutDecision, id: Int64, at: Int64, engine: RolloutEngine) throws {
        let rollout = decision.rollout.flatMap { engine.rollout(id: $0) }
        let from = rollout?.lastGoodRevision
        let to = rollout?.revision
        var detail: String
        switch decision {
        case .release(let service, let r, let wave, let targets):
            try setTargets(service: service, rollout: r, targets, at: at)
            let names = Self.names(targets)
            detail = wave == 0
                ? "rollout \(r): \(targets.count) returning offline servers to the last good bundle (\(names))"
                : "rollout \(r) wave \(wave): \(targets.count) servers (\(names))"
        case .sendBack(let service, let r, let targets, let reason):
            try setTargets(service: service, rollout: r, targets, at: at)
            detail = "rollout \(r): \(targets.count) servers back to last good (\(Self.names(targets))): \(reason)"
        case .startRevert(let request):
            detail =
                "rollout \(request.rollout) wave \(request.wave): revert \(request.commits.joined(separator: " ")); failed: "
                + request.failures.map { "\($0.server) (\($0.reason))" }.joined(separator: ", ")
        case .hold(_, _, _, let reason):
            detail = reason
        case .markGood(let service, let revision, let targets):
            try statement(
                """
                INSERT INTO last_good (service, revision, at) VALUES (?1, ?2, ?3)
                ON CONFLICT (service) DO UPDATE SET revision = ?2, at = ?3
                """
            ).run([.text(service), .text(revision), .integer(at)])
            detail = "\(revision) is the last good revision (\(targets.count) servers changed)"
        case .notify(let service, _, let notice, let message):
            detail = message
            if notice == .breached, let q = engine.services[service]?.quarantine {
                for key in q.keys.sorted() {
                    let e = q[key]!
                    try statement(
                        """
                        INSERT OR IGNORE INTO quarantine (service, bundle, rollout, revision, reason, at)
                        VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                        """
                    ).run([.text(service), .text(e.bundle), .text(e.rollout), .text(e.revision), .text(e.reason), .integer(at)])
                }
            }
        }
        try audit(
            AuditEntry(
                at: at, actor: "tide", action: Self.kind(decision), service: decision.service, fromRevision: from,
                toRevision: { if case .markGood(_, let rev, _) = decision { return rev } else { return to } }(),
                detail: "decision \(id): " + detail))
    }

    private func setTargets(service: String, rollout: String, _ targets: [RolloutDecision.Target], at: Int64) throws {
        let upsert = try statement(
            """
            INSERT INTO targets (service, server, bundle, rollout, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (service, server) DO UPDATE SET bundle = ?3, rollout = ?4, updated_at = ?5
            """)
        for t in targets { try upsert.run([.text(service), .text(t.server), .text(t.bundle), .text(rollout), .integer(at)]) }
    }

    static func names(_ targets: [RolloutDecision.Target]) -> String {
        targets.prefix(5).map(\.server).joined(separator: ", ") + (targets.count > 5 ? ", ..." : "")
    }

    private func upsert(_ r: Rollout, at: Int64) throws {
        try statement(
            """
            INSERT INTO rollouts (id, service, revision, kind, state, wave, waves, servers, released, healthy, failed,
                timed_out, offline, started_at, ended_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
            ON CONFLICT (id) DO UPDATE SET state = ?5, wave = ?6, released = ?9, healthy = ?10, failed = ?11,
                timed_out = ?12, offline = ?13, ended_at = ?15, updated_at = ?16
            """
        ).run([
            .text(r.id), .text(r.service), .text(r.revision), .text(r.kind.rawValue), .text(r.displayState.rawValue),
            .integer(Int64(r.wave + 1)), .integer(Int64(r.waveEnds.count)), .integer(Int64(r.members.count)),
            .integer(Int64(r.released)), .integer(Int64(r.healthy)), .integer(Int64(r.failed)),
            .integer(Int64(r.timedOut)), .integer(Int64(r.offline)), .integer(r.startedAt), .opt(r.endedAt), .integer(at),
        ])
    }

    /// Encodes `engine` (a copy: the caller goes on changing its own) off the caller's thread, then writes
    /// it as of `seq` under the lock. Safe because the snapshot says which event it includes: events after
    /// `seq` recorded meanwhile stay and are replayed on open; a snapshot never replaces a newer one.
    private func snapshotInBackground(_ engine: RolloutEngine, seq: Int64) {
        eventsSinceSnapshot = 0
        lastSnapshotAt = Date().timeIntervalSince1970
        snapshotInFlight = true
        snapshotDone.enter()
        DispatchQueue.global(qos: .utility).async { [self] in
            defer { snapshotDone.leave() }
            // A failed snapshot costs nothing but a longer replay on the next open (the last one stays).
            let json = try? Self.snapshotJSON(engine)
            try? locked {
                defer { snapshotInFlight = false }
                guard let json else { return }
                try database.transaction { try writeSnapshotLocked(json, seq: seq) }
            }
        }
    }

    /// Waits until a background snapshot in flight is written (tests; a clean stop snapshots anyway).
    public func waitForSnapshot() { snapshotDone.wait() }

    private func snapshotLocked(_ engine: RolloutEngine, seq: Int64) throws {
        eventsSinceSnapshot = 0
        lastSnapshotAt = Date().timeIntervalSince1970
        try writeSnapshotLocked(try Self.snapshotJSON(engine), seq: seq)
    }

    /// `event` as JSONEncoder (sorted keys) writes it. A revision's placements (10,000 for a service on
    /// every server) are written by hand into the rest of its JSON: the same bytes, a tenth of the time
    /// (the store writes each revision in the head's pass, before the first wave is told).
    public static func eventJSON(_ event: RolloutEvent, encoder: JSONEncoder) throws -> String {
        guard case .revision(var revision, let at) = event, revision.placements.count > 16 else {
            return String(decoding: try encoder.encode(event), as: UTF8.self)
        }
        let placements = revision.placements
        revision.placements = []
        let rest = String(decoding: try encoder.encode(RolloutEvent.revision(revision, at: at)), as: UTF8.self)
        // The first `"placements":[]` is the key: the keys before it (commits, kind, lastGoodRevision)
        // hold commit ids and a kind, which cannot contain it.
        guard let slot = rest.range(of: #""placements":[]"#) else {
            return String(decoding: try encoder.encode(event), as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(rest.utf8.count + placements.count * 180)
        out += rest[..<slot.lowerBound].utf8
        out += #""placements":["#.utf8
        for (i, p) in placements.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += #"{"bundle":"#.utf8
            JSONText.appendString(p.bundle, to: &out, escapingSlashes: true)
            out += #","lastGoodBundle":"#.utf8
            JSONText.appendString(p.lastGoodBundle, to: &out, escapingSlashes: true)
            out += #","server":"#.utf8
            JSONText.appendString(p.server, to: &out, escapingSlashes: true)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        out += rest[slot.upperBound...].utf8
        return String(decoding: out, as: UTF8.self)
    }


    /// The engine's JSON, exactly as JSONEncoder with sorted keys writes it, put together service by
    /// service: JSONEncoder builds its whole tree of values before writing any byte, and for a
    /// 10,000-server engine that tree was about 80 MB at once; one service's tree at a time is a
    /// fiftieth of it.
    public static func snapshotJSON(_ engine: RolloutEngine) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func text(_ value: some Encodable) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        // RolloutEngine's coding keys, sorted as JSONEncoder sorts them (by UTF-8 bytes).
        var json = #"{"lastHeard":"# + (try text(engine.lastHeard))
        json += #","nextRolloutNumber":"# + String(engine.nextRolloutNumber)
        json += #","now":"# + String(engine.now)
        json += #","services":{"#
        let names = engine.services.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for (i, name) in names.enumerated() {
            if i > 0 { json += "," }
            json += try text(name) + ":" + (try text(engine.services[name]!))
        }
        return json + "}}"
    }

    private func writeSnapshotLocked(_ json: String, seq: Int64) throws {
        // A snapshot older than the one stored (a background one finishing after a clean stop's) is dropped.
        let stored = try database.prepare("SELECT event_seq FROM snapshots WHERE id = 1").rows().first?.first?.int ?? -1
        guard seq >= stored else { return }
        // Events before the snapshot are never replayed again. Heard times, reports and ticks that made
        // no decision are dropped (at 10,000 servers heard times alone are ~300 rows a second); events
        // with decisions stay, for the decisions' history. The snapshot's own event (the newest) always
        // stays, so sequence numbers keep growing and are never reused.
        try statement(
            """
            DELETE FROM events WHERE seq < ?1 AND kind IN ('heard', 'report', 'tick')
                AND NOT EXISTS (SELECT 1 FROM decisions WHERE decisions.event_seq = events.seq)
            """
        ).run([.integer(seq)])
        try statement(
            """
            INSERT INTO snapshots (id, event_seq, engine) VALUES (1, ?1, ?2)
            ON CONFLICT (id) DO UPDATE SET event_seq = ?1, engine = ?2
            """
        ).run([.integer(seq), .text(json)])
    }

    /// Snapshots `engine` now (as of the last recorded event), e.g. before a clean shutdown.
    public func snapshot(_ engine: RolloutEngine) throws {
        try locked {
            let seq = try database.prepare("SELECT coalesce(max(seq), 0) FROM events").rows()[0][0].int ?? 0
            try snapshotLocked(engine, seq: seq)
        }
    }

    /// Rebuilds the engine from the store alone: the last snapshot, then every later event replayed.
    public func loadEngine() throws -> RolloutEngine {
        try locked {
            var engine = RolloutEngine()
            var after: Int64 = 0
            if let row = try database.prepare("SELECT event_seq, engine FROM snapshots WHERE id = 1").rows().first,
                let text = row[1].string
            {
                do {
                    engine = try decoder.decode(RolloutEngine.self, from: Data(text.utf8))
                } catch {
                    throw StoreError(.corrupt, doing: "reading the engine snapshot", message: "\(error)")
                }
                after = row[0].int ?? 0
            }
            for row in try database.prepare("SELECT seq, event FROM events WHERE seq > ?1 ORDER BY seq").rows([.integer(after)]) {
                let event: RolloutEvent
                do {
                    event = try decoder.decode(RolloutEvent.self, from: Data((row[1].string ?? "").utf8))
                } catch {
                    throw StoreError(.corrupt, doing: "replaying event \(row[0].int ?? 0)", message: "\(error)")
                }
                _ = engine.handle(event)
            }
            return engine
        }
    }

    /// The sequence number of the last recorded event (0 when none).
    public func lastEventSequence() throws -> Int64 {
        try locked { try database.prepare("SELECT coalesce(max(seq), 0) FROM events").rows()[0][0].int ?? 0 }
    }

    /// Decisions recorded and not yet marked done, oldest first: what to perform after a restart.
    public func pendingDecisions() throws -> [StoredDecision] {
        try decisions(where: "status = 'pending'", [])
    }

    /// Every decision of a rollout, oldest first.
    public func decisions(rollout: String) throws -> [StoredDecision] {
        try decisions(where: "rollout = ?1", [.text(rollout)])
    }

    private func decisions(where clause: String, _ values: [Statement.Value]) throws -> [StoredDecision] {
        try locked {
            try database.prepare(
                "SELECT id, event_seq, at, decision, status, done_at, outcome FROM decisions WHERE \(clause) ORDER BY id"
            ).rows(values).map { row in
                let decision: RolloutDecision
                do {
                    decision = try decoder.decode(RolloutDecision.self, from: Data((row[3].string ?? "").utf8))
                } catch {
                    throw StoreError(.corrupt, doing: "reading decision \(row[0].int ?? 0)", message: "\(error)")
                }
                return StoredDecision(
                    id: row[0].int ?? 0, eventSeq: row[1].int ?? 0, at: row[2].int ?? 0, decision: decision,
                    status: row[4].string == "done" ? .done : .pending, doneAt: row[5].int, outcome: row[6].string)
            }
        }
    }

    /// Marks a decision performed. Marking one already done is harmless.
    public func markDone(_ id: Int64, at: Int64, outcome: String? = nil) throws {
        try locked {
            try statement("UPDATE decisions SET status = 'done', done_at = ?2, outcome = ?3 WHERE id = ?1 AND status = 'pending'")
                .run([.integer(id), .integer(at), .opt(outcome)])
        }
    }

    // MARK: revisions, targets, observations

    /// Notes that the controller saw `revision` of `service` (before handing it to the engine).
    public func recordRevisionSeen(service: String, revision: String, at: Int64) throws {
        try locked {
            try statement("INSERT OR IGNORE INTO revisions (service, revision, seen_at) VALUES (?1, ?2, ?3)")
                .run([.text(service), .text(revision), .integer(at)])
        }
    }

    /// The revisions seen of `service`, newest first.
    public func revisions(service: String, limit: Int = 100) throws -> [RevisionRecord] {
        try locked {
            try database.prepare(
                "SELECT revision, seen_at, processed_at FROM revisions WHERE service = ?1 ORDER BY seen_at DESC, rowid DESC LIMIT ?2"
            ).rows([.text(service), .integer(Int64(limit))]).map {
                RevisionRecord(service: service, revision: $0[0].string ?? "", seenAt: $0[1].int ?? 0, processedAt: $0[2].int)
            }
        }
    }

    /// The last good revision of `service`, if any.
    public func lastGoodRevision(service: String) throws -> String? {
        try locked {
            try database.prepare("SELECT revision FROM last_good WHERE service = ?1").rows([.text(service)]).first?[0].string
        }
    }

    /// Server → bundle id each server should hold for `service`, as decided so far.
    public func targets(service: String) throws -> [String: String] {
        try locked {
            var out: [String: String] = [:]
            for row in try database.prepare("SELECT server, bundle FROM targets WHERE service = ?1").rows([.text(service)]) {
                out[row[0].string ?? ""] = row[1].string ?? ""
            }
            return out
        }
    }

    /// The bundles quarantined for `service`.
    public func quarantined(service: String) throws -> [QuarantineRecord] {
        try locked {
            try database.prepare(
                "SELECT bundle, rollout, revision, reason, at FROM quarantine WHERE service = ?1 ORDER BY at, bundle"
            ).rows([.text(service)]).map {
                QuarantineRecord(
                    service: service, bundle: $0[0].string ?? "", rollout: $0[1].string ?? "",
                    revision: $0[2].string ?? "", reason: $0[3].string ?? "", at: $0[4].int ?? 0)
            }
        }
    }

    /// The last reports, optionally for one server and/or one service.
    public func observations(server: String? = nil, service: String? = nil) throws -> [Observation] {
        try locked {
            try database.prepare(
                """
                SELECT server, service, bundle, phase, detail, reported_at FROM observations
                WHERE (?1 IS NULL OR server = ?1) AND (?2 IS NULL OR service = ?2) ORDER BY server, service
                """
            ).rows([.opt(server), .opt(service)]).map {
                Observation(
                    server: $0[0].string ?? "", service: $0[1].string ?? "", bundle: $0[2].string ?? "",
                    phase: $0[3].string ?? "", detail: $0[4].string, reportedAt: $0[5].int ?? 0)
            }
        }
    }

    /// Server → last time it was heard from.
    public func lastSeen() throws -> [String: Int64] {
        try locked {
            var out: [String: Int64] = [:]
            for row in try database.prepare("SELECT server, last_seen FROM servers_seen").rows() {
                out[row[0].string ?? ""] = row[1].int ?? 0
            }
            return out
        }
    }

    /// Rollouts, newest first, optionally of one service.
    public func rollouts(service: String? = nil, limit: Int = 100) throws -> [RolloutRecord] {
        try rolloutRows(
            "WHERE (?1 IS NULL OR service = ?1) ORDER BY started_at DESC, rowid DESC LIMIT ?2",
            [.opt(service), .integer(Int64(limit))])
    }

    /// One rollout by id.
    public func rollout(id: String) throws -> RolloutRecord? {
        try rolloutRows("WHERE id = ?1", [.text(id)]).first
    }

    private func rolloutRows(_ clause: String, _ values: [Statement.Value]) throws -> [RolloutRecord] {
        try locked {
            try database.prepare(
                """
                SELECT id, service, revision, kind, state, wave, waves, servers, released, healthy, failed, timed_out,
                    offline, started_at, ended_at, updated_at FROM rollouts \(clause)
                """
            ).rows(values).map {
                RolloutRecord(
                    id: $0[0].string ?? "", service: $0[1].string ?? "", revision: $0[2].string ?? "",
                    kind: $0[3].string ?? "", state: $0[4].string ?? "", wave: Int($0[5].int ?? 0),
                    waves: Int($0[6].int ?? 0), servers: Int($0[7].int ?? 0), released: Int($0[8].int ?? 0),
                    healthy: Int($0[9].int ?? 0), failed: Int($0[10].int ?? 0), timedOut: Int($0[11].int ?? 0),
                    offline: Int($0[12].int ?? 0), startedAt: $0[13].int ?? 0, endedAt: $0[14].int,
                    updatedAt: $0[15].int ?? 0)
            }
        }
    }

    // MARK: audit

    /// Appends a line to the audit log (e.g. a `tide release` by an operator) and returns its sequence number.
    @discardableResult
    public func appendAudit(_ entry: AuditEntry) throws -> Int64 {
        try locked { try database.transaction { try audit(entry) } }
    }

    @discardableResult
    private func audit(_ e: AuditEntry) throws -> Int64 {
        try statement(
            """
            INSERT INTO audit (at, actor, action, service, from_revision, to_revision, detail)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """
        ).run([
            .integer(e.at), .text(e.actor), .text(e.action), .opt(e.service), .opt(e.fromRevision), .opt(e.toRevision),
            .text(e.detail),
        ])
        return database.lastInsertRowID
    }

    /// Audit lines matching `query`, newest first.
    public func audit(_ query: AuditQuery) throws -> [AuditEntry] {
        try locked {
            try database.prepare(
                """
                SELECT seq, at, actor, action, service, from_revision, to_revision, detail FROM audit
                WHERE (?1 IS NULL OR service = ?1) AND (?2 IS NULL OR actor = ?2) AND (?3 IS NULL OR action = ?3)
                    AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR seq < ?5)
                ORDER BY seq DESC LIMIT ?6
                """
            ).rows([
                .opt(query.service), .opt(query.actor), .opt(query.action), .opt(query.since), .opt(query.beforeSeq),
                .integer(Int64(max(0, query.limit))),
            ]).map {
                AuditEntry(
                    seq: $0[0].int ?? 0, at: $0[1].int ?? 0, actor: $0[2].string ?? "", action: $0[3].string ?? "",
                    service: $0[4].string, fromRevision: $0[5].string, toRevision: $0[6].string,
                    detail: $0[7].string ?? "")
            }
        }
    }

    // MARK: names

    static func describe(_ event: RolloutEvent) -> (kind: String, service: String?) {
        switch event {
        case .revision(let r, _): return ("revision", r.service)
        case .invalidConfig(let s, _, _, _): return ("invalid-config", s)
        case .report(_, let s, _, _, _, _): return ("report", s)
        case .heard: return ("heard", nil)
        case .tick: return ("tick", nil)
        case .command(let s, let c, _): return (name(c), s)
        case .revertOutcome(let s, _, _, _): return ("revert-outcome", s)
        }
    }

    static func name(_ command: RolloutEvent.Command) -> String {
        switch command {
        case .pause: "pause"
        case .resume: "resume"
        case .abort: "abort"
        case .promote: "promote"
        case .release: "release"
        }
    }

    /// The decision's kind as the audit log and the `decisions` table name it.
    public static func kind(_ decision: RolloutDecision) -> String {
        switch decision {
        case .release: "release"
        case .sendBack: "send-back"
        case .startRevert: "start-revert"
        case .hold: "hold"
        case .markGood: "mark-good"
        case .notify(_, _, let notice, _): "notify-\(notice.rawValue)"
        }
    }
}
