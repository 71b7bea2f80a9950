import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Structured log lines on stderr, one per event, with a syslog priority prefix (`<6>`) so journald
/// keeps the level. `Log.info("rollout.started", ["service": "web", "rollout": "42"])`.
///
/// No secret is ever written: values of secret-named fields (`token`, `password`, `*_secret`, ...)
/// are replaced, and every other value goes through `Redact.text` (credentials in URLs, bearer
/// tokens, `token=` parameters). Lines are written with one `write(2)` each, under a lock, so
/// lines from many threads never interleave.
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

    public enum Format: String, Sendable, CaseIterable { case logfmt, json }

    struct Settings {
        var format: Format = .logfmt
        var minimum: Level = .info
        var component: String = "tide"
    }

    static let settings = Mutex(Settings())
    /// Serializes writes to stderr.
    private static let output = Mutex(())

    /// Sets the line format, the lowest level written and the component name (`controller`, `agent`).
    public static func configure(format: Format = .logfmt, level: Level = .info, component: String = "tide") {
        settings.withLock { $0 = Settings(format: format, minimum: level, component: component) }
    }

    /// Whether a line at `level` would be written (to skip building costly fields).
    public static func enabled(_ level: Level) -> Bool { level >= settings.withLock { $0.minimum } }

    public static func error(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.error, event, fields) }
    public static func warning(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.warning, event, fields) }
    public static func notice(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.notice, event, fields) }
    public static func info(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.info, event, fields) }
    public static func debug(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.debug, event, fields) }

    public static func write(_ level: Level, _ event: String, _ fields: KeyValuePairs<String, Any>) {
        write(level, event, fields.map { ($0.key, $0.value) })
    }

    /// Writes one line with fields given as an array (for fields built at run time).
    public static func write(_ level: Level, _ event: String, _ fields: [(String, Any)]) {
        let s = settings.withLock { $0 }
        guard level >= s.minimum else { return }
        let text = line(level, event, fields, format: s.format, component: s.component)
        writeToStderr(text)
    }

    /// The full line (priority prefix, fields, newline) as `write` prints it, at the current time.
    public static func line(
        _ level: Level, _ event: String, _ fields: [(String, Any)], format: Format, component: String,
        time: Date = Date()
    ) -> String {
        "<\(level.rawValue)>" + render(level: level, event: event, fields: fields, format: format, component: component, time: time)
            + "\n"
    }

    private static func writeToStderr(_ text: String) {
        var bytes = Array(text.utf8)
        output.withLock { _ in
            bytes.withUnsafeMutableBytes { buffer in
                var offset = 0
                var attempts = 0
                while offset < buffer.count, attempts < 64 {
                    attempts += 1
                    let n = systemWrite(2, buffer.baseAddress! + offset, buffer.count - offset)
                    if n > 0 {
                        offset += n
                    } else if n < 0, errno == EINTR || errno == EAGAIN {
                        continue
                    } else {
                        return  // stderr closed: nothing useful to do, and never crash for a log line
                    }
                }
            }
        }
    }

    /// `2026-12-04T07:19:10.047Z` (UTC, milliseconds), as `ISO8601DateFormatter` with fractional
    /// seconds writes it, by hand: the formatter took three quarters of the time of a log line.
    static func timestamp(_ time: Date) -> String {
        let ms = Int64((time.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(ms >= 0 ? ms / 1000 : (ms - 999) / 1000)
        let millis = Int(ms - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let text = String(v)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return pad(parts.tm_year + 1900, 4) + "-" + pad(parts.tm_mon + 1, 2) + "-" + pad(parts.tm_mday, 2) + "T"
            + pad(parts.tm_hour, 2) + ":" + pad(parts.tm_min, 2) + ":" + pad(parts.tm_sec, 2) + "."
            + pad(Int32(millis), 3) + "Z"
    }

    static func render(
        level: Level, event: String, fields: [(String, Any)], format: Format, component: String, time: Date
    ) -> String {
        let stamp = timestamp(time)
        var pairs: [(String, String)] = [("ts", stamp), ("level", level.name), ("component", component), ("event", event)]
        for (k, v) in fields {
            guard let text = describe(v) else { continue }
            var key = sanitizeKey(k)
            if reservedKeys.contains(key) { key += "_" }  // never a second `event=` that hides the first
            pairs.append((key, Redact.isSecretKey(key) ? Redact.mask : Redact.text(text)))
        }
        switch format {
        case .logfmt:
            return pairs.map { "\($0.0)=\(logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            return "{" + pairs.map { "\(jsonString($0.0)):\(jsonString($0.1))" }.joined(separator: ",") + "}"
        }
    }

    static let reservedKeys: Set<String> = ["ts", "level", "component", "event"]

    /// The text of a field value; nil for a nil Optional (the field is left out).
    static func describe(_ value: Any) -> String? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let inner = mirror.children.first?.value else { return nil }
            return describe(inner)
        }
        if let d = value as? Duration {
            let c = d.components
            return String(format: "%.3f", Double(c.seconds) + Double(c.attoseconds) / 1e18) + "s"
        }
        return "\(value)"
    }

    /// Keys are `[A-Za-z0-9_.-]`; anything else becomes `_`, so a key can never break the line.
    static func sanitizeKey(_ key: String) -> String {
        let cleaned = String(
            key.unicodeScalars.map { s -> Character in
                s.properties.isAlphabetic && s.isASCII || ("0"..."9").contains(s) || s == "_" || s == "." || s == "-"
                    ? Character(s) : "_"
            })
        return cleaned.isEmpty ? "_" : cleaned
    }

    static func logfmtValue(_ v: String) -> String {
        let plain = !v.isEmpty
            && !v.unicodeScalars.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.value < 0x21 || $0.value == 0x7f })
        return plain ? v : jsonString(v)
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
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// `write(2)`, out of `Log`'s scope where `write` names the log function.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.write(fd, buffer, count)
    #else
        Darwin.write(fd, buffer, count)
    #endif
}
