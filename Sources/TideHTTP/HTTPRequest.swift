import Foundation

/// One HTTP request as the server hands it to a handler: the whole body is already read (within the limit).
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query string, e.g. `/v1/agents/web-01/desired`.
    public var path: String
    /// Query arguments, decoded (`?index=3&wait=60s` → `["index": "3", "wait": "60s"]`).
    public var query: [String: String]
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The client's IP address as text.
    public var remoteAddress: String
    /// A short id for logs; the client's `X-Request-Id` when it sent one.
    public var id: String
    /// Values of `{param}` segments filled in by `HTTPRouter`.
    public var parameters: [String: String] = [:]

    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
        body: [UInt8] = [], remoteAddress: String = "", id: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.id = id
    }

    /// A header by name, case-insensitive.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The token of an `Authorization: Bearer <token>` header.
    public var bearerToken: String? {
        guard let value = header("authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    /// Decodes the body as JSON; the error names what was wrong, for a 400 answer.
    public func decodeJSON<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw HTTPError(status: 400, error: "malformed body", detail: "\(method) \(path): \(HTTPError.describe(error))")
        }
    }
}
