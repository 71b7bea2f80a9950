import Foundation

/// Routes requests by method and path pattern (`/v1/agents/{server}/desired`) to handlers.
///
/// Build it fully before the server starts; it is immutable and `Sendable` afterwards.
public struct HTTPRouter: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse

    struct Route: Sendable {
        var method: String
        var segments: [Substring]
        var handler: Handler
    }

    private var routes: [Route] = []

    public init() {}

    /// Adds a route; `{name}` segments match one path segment and land in `request.parameters[name]`.
    public mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method.uppercased(), segments: Self.split(pattern), handler: handler))
    }

    /// Answers `request` with the matching route; 404 or 405 with a JSON error when none matches.
    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let segments = Self.split(request.path)
        var pathMatched = false
        for route in routes {
            guard let parameters = Self.match(route.segments, segments) else { continue }
            pathMatched = true
            guard route.method == request.method || (route.method == "GET" && request.method == "HEAD") else { continue }
            var request = request
            request.parameters = parameters
            do {
                return try await route.handler(request)
            } catch let error as HTTPError {
                return error.response
            } catch {
                return .error(500, "internal error", detail: "\(request.method) \(request.path): \(error)")
            }
        }
        if pathMatched {
            return .error(405, "method not allowed", detail: "\(request.method) \(request.path)")
        }
        return .error(404, "not found", detail: "\(request.method) \(request.path)")
    }

    /// The router as a server handler.
    public var handler: @Sendable (HTTPRequest) async -> HTTPResponse {
        let router = self
        return { await router.handle($0) }
    }

    static func split(_ path: String) -> [Substring] { path.split(separator: "/", omittingEmptySubsequences: true) }

    static func match(_ pattern: [Substring], _ path: [Substring]) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (p, s) in zip(pattern, path) {
            if p.hasPrefix("{"), p.hasSuffix("}") {
                parameters[String(p.dropFirst().dropLast())] = String(s).removingPercentEncoding ?? String(s)
            } else if p != s {
                return nil
            }
        }
        return parameters
    }
}
