import Foundation
import Synchronization

/// Structured log lines on stderr, one per event, with a syslog priority prefix (`<6>`) so journald
/// keeps the level. `Log.info("rollout.started", ["service": "web", "rollout": "42"])`.
public enum Log {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        // syslog priorities
        case error = 3, warning = 4, notice = 5, info = 6, debug = 7
        public static func < (a: Level, b: Level) -> Bool { a.rawValue > b.rawValue }
        public var name: String {
            switch self {
            case .error: "error"
            case .warning: "warning"
            case .notice: "notice"
            case .info: "info"
            case .debug: "debug"
            }
        }
    }

    public enum Format: String, Sendable { case logfmt, json }

    struct Settings {
        var format: Format = .logfmt
        var minimum: Level = .info
        var component: String = "tide"
    }

    static let settings = Mutex(Settings())

    /// Sets the line format, the lowest level written and the component name (`controller`, `agent`).
    public static func configure(format: Format = .logfmt, level: Level = .info, component: String = "tide") {
        settings.withLock { $0 = Settings(format: format, minimum: level, component: component) }
    }

    public static func error(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.error, event, fields) }
    public static func warning(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.warning, event, fields) }
    public static func notice(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.notice, event, fields) }
    public static func info(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.info, event, fields) }
    public static func debug(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.debug, event, fields) }

    public static func write(_ level: Level, _ event: String, _ fields: KeyValuePairs<String, Any>) {
        let s = settings.withLock { $0 }
        guard level >= s.minimum else { return }
        let line = "<\(level.rawValue)>" + render(level: level, event: event, fields: fields, settings: s) + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func render(level: Level, event: String, fields: KeyValuePairs<String, Any>, settings s: Settings) -> String {
        let time = ISO8601DateFormatter.string(
            from: Date(), timeZone: TimeZone(identifier: "UTC")!,
            formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        var pairs: [(String, String)] = [("ts", time), ("level", level.name), ("component", s.component), ("event", event)]
        for (k, v) in fields { pairs.append((k, "\(v)")) }
        switch s.format {
        case .logfmt:
            return pairs.map { "\($0.0)=\(logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            return "{" + pairs.map { "\(jsonString($0.0)):\(jsonString($0.1))" }.joined(separator: ",") + "}"
        }
    }

    static func logfmtValue(_ v: String) -> String {
        if !v.isEmpty, !v.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) { return v }
        return jsonString(v)
    }

    static func jsonString(_ v: String) -> String {
        var out = "\""
        for scalar in v.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
