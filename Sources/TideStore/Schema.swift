/// The store's schema, as numbered migrations; `schema_version` holds the newest one applied.
enum Schema {
    /// Migration n (1-based) takes the schema from version n-1 to n. Append; never edit a shipped one.
    static let migrations: [String] = [
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            service TEXT,
            kind TEXT NOT NULL,
            actor TEXT NOT NULL,
            event TEXT NOT NULL
        );
        CREATE TABLE snapshots (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            event_seq INTEGER NOT NULL,
            engine TEXT NOT NULL
        );
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            event_seq INTEGER NOT NULL REFERENCES events(seq),
            at INTEGER NOT NULL,
            service TEXT NOT NULL,
            rollout TEXT,
            kind TEXT NOT NULL,
            decision TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'done')),
            done_at INTEGER,
            outcome TEXT
        );
        CREATE INDEX decisions_pending ON decisions(status) WHERE status = 'pending';
        CREATE INDEX decisions_rollout ON decisions(rollout);
        CREATE TABLE rollouts (
            id TEXT PRIMARY KEY,
            service TEXT NOT NULL,
            revision TEXT NOT NULL,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            wave INTEGER NOT NULL,
            waves INTEGER NOT NULL,
            servers INTEGER NOT NULL,
            released INTEGER NOT NULL,
            healthy INTEGER NOT NULL,
            failed INTEGER NOT NULL,
            timed_out INTEGER NOT NULL,
            offline INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            ended_at INTEGER,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX rollouts_service ON rollouts(service, started_at);
        CREATE TABLE targets (
            service TEXT NOT NULL,
            server TEXT NOT NULL,
            bundle TEXT NOT NULL,
            rollout TEXT,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (service, server)
        );
        CREATE TABLE observations (
            server TEXT NOT NULL,
            service TEXT NOT NULL,
            bundle TEXT NOT NULL,
            phase TEXT NOT NULL,
            detail TEXT,
            reported_at INTEGER NOT NULL,
            PRIMARY KEY (server, service)
        );
        CREATE TABLE servers_seen (
            server TEXT PRIMARY KEY,
            last_seen INTEGER NOT NULL
        );
        CREATE TABLE revisions (
            service TEXT NOT NULL,
            revision TEXT NOT NULL,
            seen_at INTEGER NOT NULL,
            processed_at INTEGER,
            PRIMARY KEY (service, revision)
        );
        CREATE TABLE last_good (
            service TEXT PRIMARY KEY,
            revision TEXT NOT NULL,
            at INTEGER NOT NULL
        );
        CREATE TABLE quarantine (
            service TEXT NOT NULL,
            bundle TEXT NOT NULL,
            rollout TEXT NOT NULL,
            revision TEXT NOT NULL,
            reason TEXT NOT NULL,
            at INTEGER NOT NULL,
            released_by TEXT,
            PRIMARY KEY (service, bundle)
        );
        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            service TEXT,
            from_revision TEXT,
            to_revision TEXT,
            detail TEXT NOT NULL
        );
        CREATE INDEX audit_service ON audit(service, seq);
        CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """,
        // 2: events before a snapshot are pruned unless a decision names them.
        """
        CREATE INDEX decisions_event ON decisions(event_seq);
        """,
    ]

    /// The newest schema this binary knows.
    static var version: Int { migrations.count }
}
