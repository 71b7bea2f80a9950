import CSQLite

/// A prepared statement, owned and finalised in `deinit`. Bind with `bind`, step with `run` or `rows`.
final class Statement {
    private let handle: OpaquePointer
    private let database: Database
    let sql: String

    /// A value bound to or read from a column.
    enum Value: Equatable {
        case null
        case integer(Int64)
        case text(String)
    }

    init(_ handle: OpaquePointer, database: Database, sql: String) {
        self.handle = handle
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    private var doing: String { "running \(sql.prefix(60))" }

    /// Binds `values` to `?1...?n` after a reset.
    func bind(_ values: [Value]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            switch value {
            case .null: try database.check(sqlite3_bind_null(handle, index), "sqlite3_bind_null", doing)
            case .integer(let n): try database.check(sqlite3_bind_int64(handle, index, n), "sqlite3_bind_int64", doing)
            case .text(let s):
                try database.check(
                    tide_sqlite3_bind_text(handle, index, s, Int32(s.utf8.count)), "sqlite3_bind_text", doing)
            }
        }
    }

    /// Binds and runs a statement that returns no rows.
    func run(_ values: [Value] = []) throws {
        try bind(values)
        try database.check(sqlite3_step(handle), "sqlite3_step", doing, accept: [SQLITE_DONE, SQLITE_ROW])
        sqlite3_reset(handle)
    }

    /// Binds, runs and reads every row as an array of column values.
    func rows(_ values: [Value] = []) throws -> [[Value]] {
        try bind(values)
        var out: [[Value]] = []
        while try database.check(sqlite3_step(handle), "sqlite3_step", doing, accept: [SQLITE_DONE, SQLITE_ROW])
            == SQLITE_ROW
        {
            var row: [Value] = []
            for c in 0..<sqlite3_column_count(handle) {
                switch sqlite3_column_type(handle, c) {
                case SQLITE_NULL: row.append(.null)
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(handle, c)))
                default:
                    if let text = sqlite3_column_text(handle, c) {
                        row.append(.text(String(cString: text)))
                    } else {
                        row.append(.null)
                    }
                }
            }
            out.append(row)
        }
        sqlite3_reset(handle)
        return out
    }
}

extension Statement.Value {
    var int: Int64? { if case .integer(let n) = self { return n } else { return nil } }
    var string: String? { if case .text(let s) = self { return s } else { return nil } }

    static func opt(_ s: String?) -> Statement.Value { s.map(Statement.Value.text) ?? .null }
    static func opt(_ n: Int64?) -> Statement.Value { n.map(Statement.Value.integer) ?? .null }
}
