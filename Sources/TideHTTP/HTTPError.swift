import Foundation

/// An error a handler throws to answer with a 4xx/5xx JSON error body.
public struct HTTPError: Error, CustomStringConvertible, Sendable {
    public var status: Int
    public var error: String
    public var detail: String?

    public init(status: Int, error: String, detail: String? = nil) {
        self.status = status
        self.error = error
        self.detail = detail
    }

    public var description: String { "\(status) \(error)" + (detail.map { ": \($0)" } ?? "") }

    /// The response carrying this error.
    public var response: HTTPResponse { .error(status, error, detail: detail) }

    /// A decoding error in words: which field, what was wrong.
    static func describe(_ error: any Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func path(_ p: [any CodingKey]) -> String {
            p.isEmpty ? "top level" : p.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch e {
        case .typeMismatch(let t, let c): return "\(path(c.codingPath)): expected \(t)"
        case .valueNotFound(let t, let c): return "\(path(c.codingPath)): missing \(t)"
        case .keyNotFound(let k, let c): return "\(path(c.codingPath + [k])): missing field"
        case .dataCorrupted(let c): return "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
}
