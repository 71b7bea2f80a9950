import Foundation
import TideCore

/// Everything `tide controller` is started with.
public struct ControllerOptions: Sendable {
    /// The config repo: a path, file://, git://, http(s)://, ssh:// or user@host:path.
    public var repo: String
    public var branch: String = "main"
    public var stateDirectory: String
    /// host:port for the HTTP API (agents, operators, webhooks, metrics).
    public var listenHost: String = "127.0.0.1"
    public var listenPort: Int = 7400
    /// Fetch interval; each wait gets up to 10% of jitter.
    public var poll: Duration = .seconds(15)
    /// How often the engine is given the time (wave timeouts, bake, offline).
    public var tick: Duration = .milliseconds(250)
    public var agentTokenFile: String?
    public var operatorTokensFile: String?
    public var webhookSecretFile: String?
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?
    /// For http(s) remotes: a file holding the token.
    public var httpsTokenFile: String?
    /// For SSH remotes: the private key and the known_hosts file.
    public var sshKeyFile: String?
    public var knownHostsFile: String?
    /// Author and committer of Tide's revert commits.
    public var authorName: String = "Tide"
    public var authorEmail: String = "tide@\(ProcessInfo.processInfo.hostName)"
    /// How many times a revert push is retried on a moved branch.
    public var pushAttempts: Int = 5

    public init(repo: String, stateDirectory: String) {
        self.repo = repo
        self.stateDirectory = stateDirectory
    }

    /// Parses `host:port`, `[::1]:port` or `:port`.
    public static func parseListen(_ text: String) -> (host: String, port: Int)? {
        var host: Substring
        var port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            port = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard let p = Int(port), (0...65535).contains(p) else { return nil }
        return (host.isEmpty ? "0.0.0.0" : String(host), p)
    }
}
