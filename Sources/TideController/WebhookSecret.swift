import Foundation
import TideLog

/// The shared secret of the forge webhooks, read from the file given with `--webhook-secret-file`.
/// Its `description` never shows the secret.
public struct WebhookSecret: Sendable, CustomStringConvertible {
    /// Why the secret file could not be used; names the file, never its content.
    public struct LoadError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "webhook secret file \(path): \(reason)" }
    }

    let bytes: [UInt8]
    public var description: String { "WebhookSecret(\(bytes.count) bytes, redacted)" }

    /// A secret given directly (tests, or a value already read).
    public init(_ secret: String) { bytes = Array(secret.utf8) }

    /// Reads the secret from `path`; one trailing newline (`\n` or `\r\n`) is removed, nothing else.
    public init(contentsOfFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(path: path, reason: "cannot be read (missing, or no permission)")
        }
        var b = [UInt8](data)
        if b.last == UInt8(ascii: "\n") { b.removeLast() }
        if b.last == UInt8(ascii: "\r") { b.removeLast() }
        guard !b.isEmpty else { throw LoadError(path: path, reason: "is empty") }
        if b.count < 16 {
            Log.warning("webhook.secret_short", ["file": path, "bytes": b.count, "hint": "use openssl rand -hex 32"])
        }
        bytes = b
    }
}
