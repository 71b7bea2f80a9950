import Foundation

/// A fresh directory under the system temp dir, removed when the value is released.
public final class TempDirectory: @unchecked Sendable {
    // Safe: `url` is immutable after init.
    public let url: URL
    public var path: String { url.path }

    public init(_ prefix: String = "tide-test") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
        url = base.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the directory.
    public func callAsFunction(_ relative: String) -> String { url.appendingPathComponent(relative).path }

    /// Writes `text` to `relative`, creating parent directories.
    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> String {
        let target = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: target)
        return target.path
    }

    deinit {
        if ProcessInfo.processInfo.environment["TIDE_KEEP_TEMP"] == nil {
            try? FileManager.default.removeItem(at: url)
        }
    }
}
