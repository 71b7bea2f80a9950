import Foundation
import TideCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A small HTTP client for the agent and the CLI, on URLSession (libcurl underneath on Linux).
///
/// Each call has its own timeout, so a long poll can wait longer than an ordinary request.
/// HTTPS certificates are verified against the system CA store only: swift-corelibs-foundation on
/// Linux offers no per-session trust roots, so a private CA must be installed with update-ca-certificates.
public final class HTTPClient: Sendable {
    /// An answer: status, headers (lower-case names) and body.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]

        /// The body decoded as JSON.
        public func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try JSONDecoder().decode(type, from: Data(body))
        }

        /// The `error: detail` of a JSON error body, or the body's text.
        public var errorText: String {
            if let e = try? JSONDecoder().decode(AgentProtocol.ErrorBody.self, from: Data(body)) {
                return e.error + (e.detail.map { ": \($0)" } ?? "")
            }
            return String(decoding: body.prefix(500), as: UTF8.self)
        }
    }

    /// A request that never got an answer (refused, reset, timed out, TLS failure).
    public struct TransportError: Error, CustomStringConvertible, Sendable {
        public var method: String
        public var url: String
        public var reason: String
        public var description: String { "\(method) \(url): \(reason)" }
    }

    private let session: URLSession

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 600
        configuration.timeoutIntervalForResource = 3600
        configuration.httpMaximumConnectionsPerHost = 8
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    /// Sends one request and returns the answer, whatever its status; throws `TransportError` when
    /// there is none within `timeout`.
    public func send(
        _ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> Response {
        guard let target = URL(string: url) else {
            throw TransportError(method: method, url: url, reason: "not a URL")
        }
        var request = URLRequest(url: target)
        request.httpMethod = method
        request.timeoutInterval = Double(timeout.milliseconds) / 1000
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        if let body { request.httpBody = Data(body) }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw TransportError(method: method, url: url, reason: Self.describe(error))
        }
        guard let http = response as? HTTPURLResponse else {
            throw TransportError(method: method, url: url, reason: "not an HTTP answer")
        }
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields { fields["\(k)".lowercased()] = "\(v)" }
        return Response(status: http.statusCode, headers: fields, body: Array(data))
    }

    /// Sends a JSON body (sorted keys) and returns the answer.
    public func sendJSON<T: Encodable>(
        _ method: String, _ url: String, _ value: T, headers: [String: String] = [:], timeout: Duration = .seconds(30)
    ) async throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var headers = headers
        headers["Content-Type"] = "application/json"
        return try await send(method, url, headers: headers, body: Array(try encoder.encode(value)), timeout: timeout)
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? URLError {
            switch e.code {
            case .timedOut: return "timed out"
            case .cannotConnectToHost: return "connection refused"
            case .networkConnectionLost: return "connection lost"
            case .cannotFindHost: return "host not found"
            case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
                .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
                return "TLS failed: \(e.localizedDescription)"
            default: return e.localizedDescription
            }
        }
        return "\(error)"
    }
}
