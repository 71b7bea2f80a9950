/// One problem found in a config repo, printed as `path:line:column: severity: message`.
public struct Diagnostic: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }

    public var severity: Severity
    public var position: SourcePosition
    public var message: String

    public init(_ severity: Severity, at position: SourcePosition, _ message: String) {
        self.severity = severity
        self.position = position
        self.message = message
    }

    public static func error(_ position: SourcePosition, _ message: String) -> Diagnostic {
        Diagnostic(.error, at: position, message)
    }

    public static func warning(_ position: SourcePosition, _ message: String) -> Diagnostic {
        Diagnostic(.warning, at: position, message)
    }

    public var description: String { "\(position): \(severity.rawValue): \(message)" }
}
