/// One line of the append-only audit log. `seq` has no gaps.
public struct AuditEntry: Hashable, Sendable, Codable {
    public var seq: Int64
    /// Milliseconds since the epoch.
    public var at: Int64
    /// Who: `tide`, or an operator token's name.
    public var actor: String
    public var action: String
    public var service: String?
    public var fromRevision: String?
    public var toRevision: String?
    public var detail: String

    public init(
        seq: Int64 = 0, at: Int64, actor: String, action: String, service: String?, fromRevision: String? = nil,
        toRevision: String? = nil, detail: String
    ) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.action = action
        self.service = service
        self.fromRevision = fromRevision
        self.toRevision = toRevision
        self.detail = detail
    }
}
