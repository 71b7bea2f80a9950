import Foundation
import TideCore

/// The operator tokens file (`--operator-tokens F`): one `name role sha256hex` line per token,
/// `#` comments and blank lines allowed. Only hashes are stored, so the file leaks no token.
public struct OperatorTokens: Sendable {
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var role: OperatorRole
        public var sha256: String
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    public private(set) var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Reads and checks the file; every malformed line is an error naming the line.
    public init(contentsOf path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try self.init(parsing: text, file: path)
    }

    public init(parsing text: String, file: String) throws {
        var entries: [Entry] = []
        var names = Set<String>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 3 else {
                throw ParseError(file: file, line: index + 1, message: "expected `name role sha256`, got \(fields.count) fields")
            }
            guard let role = OperatorRole(rawValue: fields[1]) else {
                throw ParseError(
                    file: file, line: index + 1, message: "role must be viewer, operator or admin, got '\(fields[1])'")
            }
            let hash = fields[2].lowercased()
            guard hash.count == 64, hash.allSatisfy({ $0.isHexDigit }) else {
                throw ParseError(
                    file: file, line: index + 1,
                    message: "third field must be the token's SHA-256 in hex (64 characters): `printf %s TOKEN | sha256sum`")
            }
            guard names.insert(fields[0]).inserted else {
                throw ParseError(file: file, line: index + 1, message: "token name '\(fields[0])' is used twice")
            }
            entries.append(Entry(name: fields[0], role: role, sha256: hash))
        }
        self.entries = entries
    }

    /// The entry whose hash matches `token`, compared in constant time over all entries.
    public func authenticate(_ token: String) -> Entry? {
        let digest = Array(SHA256.hex(token).utf8)
        var found: Entry?
        for entry in entries {
            let expected = Array(entry.sha256.utf8)
            var diff: UInt8 = 0
            for i in 0..<min(expected.count, digest.count) { diff |= expected[i] ^ digest[i] }
            if diff == 0, expected.count == digest.count { found = entry }
        }
        return found
    }
}
