import CSQLite

/// One SQLite connection, owned: opened in `init`, closed in `deinit`. Not thread-safe by itself;
/// `StateStore` serialises every use under its lock.
final class Database {
    private let handle: OpaquePointer
    let path: String

    init(path: String) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw StoreError(.sqlite, doing: "opening \(path)", message: message, sqliteCode: rc, function: "sqlite3_open_v2")
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    /// The one place SQLite result codes are checked: anything but the accepted codes throws.
    @discardableResult
    func check(_ rc: Int32, _ function: String, _ doing: @autoclosure () -> String, accept: [Int32] = [SQLITE_OK]) throws
        -> Int32
    {
        if accept.contains(rc) { return rc }
        let message = String(cString: sqlite3_errmsg(handle))
        let primary = rc & 0xff
        let code: StoreError.Code =
            primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB ? .corrupt : primary == SQLITE_IOERR ? .io : .sqlite
        throw StoreError(code, doing: doing(), message: message, sqliteCode: rc, function: function)
    }

    /// Runs one or more statements without results.
    func execute(_ sql: String) throws {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), "sqlite3_exec", "running \(sql.prefix(60)) on \(path)")
    }

    /// Prepares `sql`.
    func prepare(_ sql: String) throws -> Statement {
        var stmt: OpaquePointer?
        try check(sqlite3_prepare_v2(handle, sql, -1, &stmt, nil), "sqlite3_prepare_v2", "preparing \(sql.prefix(60))")
        guard let stmt else { throw StoreError(.sqlite, doing: "preparing \(sql.prefix(60))", message: "empty statement") }
        return Statement(stmt, database: self, sql: sql)
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction; rolls back if it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}
