import Foundation

extension Log {
    /// A bad `--log-format` or `--log-level` value; names the flag, the value and what is accepted.
    public struct FlagError: Error, CustomStringConvertible {
        public var flag: String
        public var value: String
        public var expected: String
        public var description: String { "\(flag) '\(value)': expected one of \(expected)" }
    }

    /// Configures logging from the `--log-format` and `--log-level` flag values (nil = not given),
    /// falling back to `TIDE_LOG_FORMAT` / `TIDE_LOG_LEVEL` in the environment, then logfmt / info.
    public static func configure(
        formatFlag: String?, levelFlag: String?, component: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        let format = try (formatFlag ?? environment["TIDE_LOG_FORMAT"]).map { try Format(flag: $0) } ?? .logfmt
        let level = try (levelFlag ?? environment["TIDE_LOG_LEVEL"]).map { try Level(flag: $0) } ?? .info
        configure(format: format, level: level, component: component)
    }

    /// The flag lines for a command's `--help`.
    public static let flagsHelp = """
          --log-format logfmt|json   line format on stderr (default logfmt; env TIDE_LOG_FORMAT)
          --log-level LEVEL          error, warning, notice, info or debug (default info; env TIDE_LOG_LEVEL)
        """
}

extension Log.Format {
    /// Parses a `--log-format` value: `logfmt` or `json`, in any case.
    public init(flag value: String) throws {
        guard let f = Log.Format(rawValue: value.lowercased().trimmingCharacters(in: .whitespaces)) else {
            throw Log.FlagError(flag: "--log-format", value: value, expected: "logfmt, json")
        }
        self = f
    }
}

extension Log.Level {
    /// Parses a `--log-level` value: a name (`warn` and `err` too) or a syslog number 3–7.
    public init(flag value: String) throws {
        switch value.lowercased().trimmingCharacters(in: .whitespaces) {
        case "error", "err", "3": self = .error
        case "warning", "warn", "4": self = .warning
        case "notice", "5": self = .notice
        case "info", "6": self = .info
        case "debug", "7": self = .debug
        default: throw Log.FlagError(flag: "--log-level", value: value, expected: "error, warning, notice, info, debug")
        }
    }
}
