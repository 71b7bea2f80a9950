/// One line of `<state-dir>/history.jsonl`: a bundle this agent applied (append-only, never rewritten).
public struct HistoryLine: Codable, Sendable, Equatable {
    public var time: String
    public var service: String
    public var revision: String
    public var bundle: String

    public init(time: String, service: String, revision: String, bundle: String) {
        self.time = time
        self.service = service
        self.revision = revision
        self.bundle = bundle
    }
}
