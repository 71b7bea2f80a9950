/// An error from the store: what Tide was doing, and SQLite's code and message when SQLite said no.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure, matchable in `catch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public static let sqlite = Code(name: "sqlite")
        /// Another live process holds the state directory.
        public static let locked = Code(name: "locked")
        /// The database was written by a newer Tide.
        public static let newerSchema = Code(name: "newerSchema")
        public static let io = Code(name: "io")
        public static let corrupt = Code(name: "corrupt")
        public var description: String { name }
    }

    public var code: Code
    /// What the store was doing (`opening /var/lib/tide/tide.db`).
    public var doing: String
    public var message: String
    /// SQLite's result code and the C function, when the error came from SQLite.
    public var sqliteCode: Int32?
    public var function: String?

    public init(_ code: Code, doing: String, message: String, sqliteCode: Int32? = nil, function: String? = nil) {
        self.code = code
        self.doing = doing
        self.message = message
        self.sqliteCode = sqliteCode
        self.function = function
    }

    public var description: String {
        var text = "\(doing): \(message)"
        if let function, let sqliteCode { text += " (\(function) returned \(sqliteCode))" }
        return text
    }
}
