import Foundation

/// The author and committer of commits Tide writes, e.g. `Tide <tide@example.com>`.
public struct GitIdentity: Sendable, Hashable {
    public var name: String
    public var email: String
    /// The commit time; nil means now.
    public var time: Date?

    public init(name: String, email: String, time: Date? = nil) {
        self.name = name
        self.email = email
        self.time = time
    }
}
