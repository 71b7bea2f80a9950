import Foundation
import TideCore

/// An OpenSSH known_hosts file: the host keys Tide trusts. Plain host names (`host`, `[host]:port`,
/// comma-separated) are supported; hashed entries (`|1|...`) and wildcard patterns never match.
public struct KnownHosts: Sendable {
    /// What the file says about a host's key.
    public enum Verdict: Equatable, Sendable {
        case trusted
        /// No entry for this host and key type.
        case unknown
        /// An entry for this host and key type with another key: possibly an attack.
        case changed
    }

    struct Entry: Sendable {
        var hosts: [String]
        var keyType: String
        var key: [UInt8]
    }

    var entries: [Entry]

    /// Parses known_hosts text; lines that are comments, markers (`@revoked`, `@cert-authority`) or malformed are skipped.
    public init(text: String) {
        entries = text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 3, !fields[0].hasPrefix("#"), !fields[0].hasPrefix("@"),
                let key = Data(base64Encoded: String(fields[2]))
            else { return nil }
            return Entry(
                hosts: fields[0].split(separator: ",").map { String($0).lowercased() }, keyType: String(fields[1]),
                key: Array(key))
        }
    }

    /// Reads and parses the file at `path`.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GitError(.invalidInput, "cannot read the known_hosts file", doing: "reading \(path)")
        }
        self.init(text: String(decoding: data, as: UTF8.self))
    }

    /// The name known_hosts uses for `host` on `port`: `host`, or `[host]:port` when the port is not 22.
    public static func name(host: String, port: Int) -> String {
        port == 22 ? host.lowercased() : "[\(host.lowercased())]:\(port)"
    }

    /// Checks the key a server presented, as the SSH wire-format blob (what known_hosts holds in base64).
    public func verdict(host: String, port: Int, key: [UInt8]) -> Verdict {
        verdict(host: host, port: port, keyType: KnownHosts.keyType(ofBlob: key)) { $0 == key }
    }

    /// Checks a server key known only by its SHA-256 digest (when libgit2 gives no raw key).
    public func verdict(host: String, port: Int, keyType: String?, sha256: [UInt8]) -> Verdict {
        verdict(host: host, port: port, keyType: keyType) { blob in
            var hash = SHA256()
            hash.update(blob)
            return hash.finalize() == sha256
        }
    }

    private func verdict(host: String, port: Int, keyType: String?, matches: ([UInt8]) -> Bool) -> Verdict {
        let name = KnownHosts.name(host: host, port: port)
        let forHost = entries.filter { $0.hosts.contains(name) }
        if forHost.contains(where: { matches($0.key) }) { return .trusted }
        if let keyType, forHost.contains(where: { $0.keyType == keyType }) { return .changed }
        if keyType == nil, !forHost.isEmpty { return .changed }
        return .unknown
    }

    /// The key type named at the start of an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...).
    static func keyType(ofBlob blob: [UInt8]) -> String? {
        guard blob.count >= 4 else { return nil }
        let length = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
        guard length > 0, length < 64, blob.count >= 4 + length else { return nil }
        return String(decoding: blob[4..<(4 + length)], as: UTF8.self)
    }
}
