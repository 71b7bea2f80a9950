import Foundation
import TideCore
import TideHTTP

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The controller's operator API as the on-call commands use it: base URL, bearer token, error mapping,
/// JSON decoding and `--json` printing. Every operator command takes `--controller`, `--token-file`, `--json`.
struct OperatorClient: Sendable {
    /// A request that failed in a way a person must read; printed as `tide <command>: <message>`, exit 1.
    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// The controller was unreachable or answered 5xx: worth retrying in `tide watch`.
        var transient = false
    }

    /// Flags every operator command accepts (with a value).
    static let valueFlags: Set<String> = ["controller", "token-file"]
    static let defaultController = "http://127.0.0.1:7400"

    /// The lines every operator command's `--help` ends with.
    static let commonHelp = """
          --controller URL   the controller's base URL (default: $TIDE_CONTROLLER, else \(defaultController))
          --token-file F     file holding an operator token, sent as a bearer token (default: $TIDE_TOKEN_FILE)
          --json             print the controller's JSON answer as is (pretty), for scripts
          --help, -h         this text
        """

    let controller: String
    let tokenFile: String?
    private let token: String?
    private let http = HTTPClient()

    /// From `--controller` / `$TIDE_CONTROLLER` and `--token-file` / `$TIDE_TOKEN_FILE`.
    init(_ args: Arguments, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var url = args.value("controller") ?? environment["TIDE_CONTROLLER"] ?? Self.defaultController
        if url.isEmpty { url = Self.defaultController }
        while url.hasSuffix("/") { url.removeLast() }
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), URL(string: url) != nil else {
            throw Arguments.UsageError(description: "--controller \(url) is not an http:// or https:// URL")
        }
        controller = url
        let file = args.value("token-file") ?? environment["TIDE_TOKEN_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        tokenFile = file
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw Arguments.UsageError(description: "--token-file \(file) cannot be read")
            }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw Arguments.UsageError(description: "--token-file \(file) is empty") }
            token = trimmed
        } else {
            token = nil
        }
    }

    /// `GET path` (with its query); the body of a 2xx answer, else a `Failure` that says what to do.
    /// `notFound` is the message for a 404 (e.g. "no rollout 7"); nil uses the controller's words.
    /// `timeout` bounds the wait for the answer.
    func get(_ path: String, query: [(String, String)] = [], notFound: String? = nil, timeout: Duration = .seconds(30))
        async throws -> [UInt8]
    {
        try await call("GET", path + Self.queryString(query), body: nil, notFound: notFound, timeout: timeout)
    }

    /// `POST path` with `body` encoded as JSON (or an empty JSON object).
    func post(_ path: String, _ body: (any Encodable)? = nil, notFound: String? = nil) async throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try body.map { try encoder.encode($0) } ?? Data("{}".utf8)
        return try await call("POST", path, body: Array(data), notFound: notFound, timeout: .seconds(30))
    }

    private func call(_ method: String, _ path: String, body: [UInt8]?, notFound: String?, timeout: Duration)
        async throws -> [UInt8]
    {
        var headers = ["Accept": "application/json"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if body != nil { headers["Content-Type"] = "application/json" }
        let response: HTTPClient.Response
        do {
            response = try await http.send(method, controller + path, headers: headers, body: body, timeout: timeout)
        } catch let error as HTTPClient.TransportError {
            throw Failure(description: "cannot reach the controller at \(controller): \(error.reason)", transient: true)
        }
        switch response.status {
        case 200..<300:
            return response.body
        case 401:
            let hint =
                tokenFile == nil
                ? "no token was sent: pass --token-file F (or set TIDE_TOKEN_FILE) with a token the controller knows"
                : "the token in \(tokenFile ?? "") was refused: check --token-file (or TIDE_TOKEN_FILE)"
            throw Failure(description: "\(method) \(path): 401 \(response.errorText)\nhint: \(hint)")
        case 403:
            throw Failure(
                description: "\(method) \(path): 403 \(response.errorText)\n"
                    + "hint: the token in \(tokenFile ?? "(none)") may not do this; pause, resume, abort, promote and "
                    + "revert need an operator or admin token (--token-file)")
        case 404:
            throw Failure(description: notFound ?? "\(method) \(path): 404 \(response.errorText)")
        default:
            throw Failure(
                description: "\(method) \(path): \(response.status) \(response.errorText)", transient: response.status >= 500)
        }
    }

    /// Decodes an answer; a body that does not match says which request it came from.
    func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8], from path: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw Failure(description: "the controller's answer to \(path) is not what this tide expects: \(error)")
        }
    }

    /// Prints an answer's JSON as is, pretty-printed with sorted keys.
    static func printJSON(_ body: [UInt8]) {
        print(prettyJSON(body))
    }

    /// The JSON `body` pretty-printed (sorted keys); the text unchanged when it is not JSON.
    static func prettyJSON(_ body: [UInt8]) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]),
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return String(decoding: body, as: UTF8.self) }
        return String(decoding: data, as: UTF8.self)
    }

    /// `?a=1&b=x` with each value percent-encoded; "" when there is none.
    static func queryString(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        return "?" + items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }
            .joined(separator: "&")
    }

    /// A path segment percent-encoded (rollout IDs, service names).
    static func segment(_ s: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// Milliseconds since the Unix epoch, now.
    static var nowMillis: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// Parses `--limit N`: a positive whole number.
    static func limit(_ args: Arguments, default fallback: Int) throws -> Int {
        guard let text = args.value("limit") else { return fallback }
        guard let n = Int(text), n > 0 else {
            throw Arguments.UsageError(description: "--limit \(text) is not a positive whole number")
        }
        return n
    }

    /// Exactly `names.count` positionals, else a usage error naming what is missing or extra.
    static func positionals(_ args: Arguments, _ names: [String]) throws -> [String] {
        let p = args.positionals
        if p.count < names.count {
            throw Arguments.UsageError(description: "missing \(names[p.count])")
        }
        if p.count > names.count {
            throw Arguments.UsageError(description: "unexpected argument '\(p[names.count])'")
        }
        return p
    }
}
