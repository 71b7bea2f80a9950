import Foundation
import TideCore

/// `tide-loadgen`'s flags, parsed into options and the output files. Errors name the flag.
public struct LoadgenCommandLine: Sendable {
    public var options: FleetSimulatorOptions
    /// `--events FILE`: milestones as JSON lines.
    public var eventsPath: String?
    /// `--summary FILE`: the final stats as JSON.
    public var summaryPath: String?
    /// `--quiet`: no progress line on stderr.
    public var quiet: Bool

    public static let usage = """
        usage: tide-loadgen --controller http://127.0.0.1:PORT --token-file F
                            (--servers FILE | --names PREFIX-%05d --count N)
                            [--wait 60s] [--heartbeat 30s] [--retry-max 30s] [--duration 10m]
                            [--ramp 2000] [--report-connections 64] [--request-timeout 30s]
                            [--disk DIR] [--fail-marker TEXT] [--fail-revision SHA-PREFIX]
                            [--fail-servers GLOB] [--events FILE] [--summary FILE] [--quiet]
        Simulates N Tide agents (one epoll thread, one long-poll connection each) against a
        controller on loopback. See docs/loadgen.md.
        """

    static let valueFlags: Set<String> = [
        "controller", "token-file", "servers", "names", "count", "wait", "heartbeat", "retry-max", "duration", "ramp",
        "report-connections", "request-timeout", "disk", "fail-marker", "fail-revision", "fail-servers", "events",
        "summary",
    ]

    /// Parses `arguments` (without the program name), reading the token and server files.
    public init(_ arguments: [String]) throws {
        var values: [String: String] = [:]
        var quiet = false
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            guard arg.hasPrefix("--") else { throw LoadgenError("unexpected argument \(arg)\n\(Self.usage)") }
            var name = String(arg.dropFirst(2))
            var inline: String?
            if let eq = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if name == "quiet" {
                quiet = true
            } else if name == "help" || name == "h" {
                throw LoadgenError.help
            } else if Self.valueFlags.contains(name) {
                if let inline {
                    values[name] = inline
                } else {
                    guard i + 1 < arguments.count else { throw LoadgenError("--\(name) needs a value") }
                    values[name] = arguments[i + 1]
                    i += 1
                }
            } else {
                throw LoadgenError("unknown flag --\(name)\n\(Self.usage)")
            }
            i += 1
        }
        guard let controller = values["controller"] else { throw LoadgenError("--controller is required\n\(Self.usage)") }
        var token = ""
        if let tokenFile = values["token-file"] {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw LoadgenError("--token-file \(tokenFile): cannot read it")
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let servers: [String]
        if let file = values["servers"] {
            guard values["names"] == nil else { throw LoadgenError("give --servers or --names, not both") }
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw LoadgenError("--servers \(file): cannot read it")
            }
            servers = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            guard !servers.isEmpty else { throw LoadgenError("--servers \(file): no server names in it") }
        } else if let pattern = values["names"] {
            guard let countText = values["count"], let count = Int(countText), count >= 1 else {
                throw LoadgenError("--names needs --count N (at least 1)")
            }
            servers = try Self.names(pattern, count: count)
        } else {
            throw LoadgenError("give --servers FILE or --names PREFIX-%05d --count N\n\(Self.usage)")
        }
        var options = FleetSimulatorOptions(controller: controller, servers: servers, token: token)
        func duration(_ flag: String) throws -> Duration? {
            guard let text = values[flag] else { return nil }
            guard let d = DurationText.parse(text) else { throw LoadgenError("--\(flag) \(text): not a duration (e.g. 30s, 10m)") }
            return d
        }
        func integer(_ flag: String, min: Int) throws -> Int? {
            guard let text = values[flag] else { return nil }
            guard let n = Int(text), n >= min else { throw LoadgenError("--\(flag) \(text): not a whole number ≥ \(min)") }
            return n
        }
        if let d = try duration("wait") { options.wait = d }
        if let d = try duration("heartbeat") { options.heartbeat = d }
        if let d = try duration("retry-max") { options.retryMax = d }
        if let d = try duration("duration") { options.duration = d }
        if let d = try duration("request-timeout") { options.requestTimeout = d }
        if let n = try integer("ramp", min: 1) { options.rampPerSecond = n }
        if let n = try integer("report-connections", min: 1) { options.reportConnections = n }
        options.disk = values["disk"]
        options.failMarker = values["fail-marker"]
        options.failRevision = values["fail-revision"]
        options.failServers = values["fail-servers"]
        self.options = options
        eventsPath = values["events"]
        summaryPath = values["summary"]
        self.quiet = quiet
    }

    /// `web-%05d` with count 3 → web-00001, web-00002, web-00003 (numbered from 1).
    public static func names(_ pattern: String, count: Int) throws -> [String] {
        guard let range = pattern.range(of: #"%0?[0-9]*d"#, options: .regularExpression) else {
            throw LoadgenError("--names \(pattern): needs a %d (e.g. web-%05d)")
        }
        if pattern[range.upperBound...].range(of: #"%0?[0-9]*d"#, options: .regularExpression) != nil {
            throw LoadgenError("--names \(pattern): has more than one %d; give one (e.g. web-%05d)")
        }
        let spec = pattern[range].dropFirst().dropLast()
        let width = Int(spec) ?? 0
        return (1...count).map { n in
            let digits = String(n)
            let padded = digits.count < width ? String(repeating: "0", count: width - digits.count) + digits : digits
            return pattern.replacingCharacters(in: range, with: padded)
        }
    }
}
