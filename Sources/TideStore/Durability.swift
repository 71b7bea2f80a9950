/// How hard SQLite works to keep a committed transaction across a power loss (WAL mode either way).
public enum Durability: String, Sendable, CaseIterable {
    /// `synchronous=FULL`: every commit is fsynced; survives power loss.
    case full
    /// `synchronous=NORMAL`: survives a process crash; the last commits may be lost on power loss.
    case normal

    var pragma: String { self == .full ? "FULL" : "NORMAL" }
}
