/// Filters for `StateStore.audit(_:)`; every field narrows, nil means any. Newest first.
public struct AuditQuery: Hashable, Sendable {
    public var service: String?
    public var actor: String?
    public var action: String?
    /// Only entries at or after this time (ms since epoch).
    public var since: Int64?
    /// Only entries before this sequence number (for paging back).
    public var beforeSeq: Int64?
    public var limit: Int

    public init(
        service: String? = nil, actor: String? = nil, action: String? = nil, since: Int64? = nil,
        beforeSeq: Int64? = nil, limit: Int = 100
    ) {
        self.service = service
        self.actor = actor
        self.action = action
        self.since = since
        self.beforeSeq = beforeSeq
        self.limit = limit
    }
}
