import CGit2
import Foundation

/// A failed Git operation: what Tide was doing, the libgit2 function and libgit2's own class and message.
public struct GitError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure; extensible, matchable in `catch` (`error.code == .revertConflict`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A libgit2 call failed; `libgit2Code` holds its return code.
        public static let libgit2 = Code("libgit2")
        /// A revision, ref or path does not exist.
        public static let notFound = Code("notFound")
        /// A revert does not apply cleanly; `paths` names the conflicting files.
        public static let revertConflict = Code("revertConflict")
        /// The branch kept moving under our pushes until the attempts ran out.
        public static let pushRaceLost = Code("pushRaceLost")
        /// The remote refused the push for good (hook, protected branch, permissions).
        public static let pushRefused = Code("pushRefused")
        /// The SSH server's host key is not in the known_hosts file.
        public static let hostKeyUnknown = Code("hostKeyUnknown")
        /// The SSH server's host key differs from the one in the known_hosts file.
        public static let hostKeyChanged = Code("hostKeyChanged")
        /// A remote URL, ref name or credential setting Tide cannot use.
        public static let invalidInput = Code("invalidInput")
    }

    public var code: Code
    /// libgit2's return code (`GIT_ENOTFOUND` = -3, ...), 0 when the failure is Tide's own.
    public var libgit2Code: Int32
    /// libgit2's error class (`GIT_ERROR_NET` = 12, ...), 0 when none.
    public var libgit2Class: Int32
    /// libgit2's message, or Tide's own text.
    public var message: String
    /// The C function that failed, e.g. `git_remote_fetch`.
    public var function: String
    /// What Tide was doing, e.g. `fetching main from git://127.0.0.1:9418/fleet.git`, with credentials stripped.
    public var doing: String
    /// Conflicting paths for `.revertConflict`.
    public var paths: [String]

    public init(
        _ code: Code, _ message: String, doing: String, function: String = "", libgit2Code: Int32 = 0,
        libgit2Class: Int32 = 0, paths: [String] = []
    ) {
        self.code = code
        self.message = message
        self.doing = GitError.redacted(doing)
        self.function = function
        self.libgit2Code = libgit2Code
        self.libgit2Class = libgit2Class
        self.paths = paths
    }

    public var description: String {
        var text = "\(doing): \(GitError.redacted(message))"
        if !paths.isEmpty { text += " (paths: \(paths.joined(separator: ", ")))" }
        if !function.isEmpty { text += " [\(function) returned \(libgit2Code), class \(libgit2Class)]" }
        return text
    }

    /// `text` with `user:secret@` removed from every URL in it.
    public static func redacted(_ text: String) -> String {
        guard text.contains("://"), text.contains("@") else { return text }
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: "://") {
            result += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == " " || $0 == "\n" }) ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                rest = rest[rest.index(after: at)...]
            }
        }
        return result + rest
    }
}

/// Checks a libgit2 return code: throws a `GitError` carrying libgit2's class and message (read at once,
/// on this thread) unless `result >= 0`. Returns `result` for calls whose positive value means something.
@discardableResult
func check(_ result: Int32, _ function: String, _ doing: @autoclosure () -> String) throws -> Int32 {
    if result >= 0 { return result }
    var klass: Int32 = 0
    var message = "unknown libgit2 error"
    if let last = git_error_last() {
        klass = last.pointee.klass
        if let text = last.pointee.message { message = String(cString: text) }
    }
    let code: GitError.Code = result == GIT_ENOTFOUND.rawValue ? .notFound : .libgit2
    throw GitError(
        code, message, doing: doing(), function: function, libgit2Code: result, libgit2Class: klass)
}
