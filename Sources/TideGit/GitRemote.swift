import Foundation

/// Where the config repo lives and how to log in to it.
/// URLs: a local path, `file://`, `git://`, `http(s)://` (token from `tokenFile`),
/// `ssh://` or `user@host:path` (key from `sshKeyFile`, host key checked against `knownHostsFile`).
public struct GitRemote: Sendable, Hashable {
    public var url: String
    /// A file holding an HTTP(S) access token, sent as the password (whitespace trimmed).
    public var tokenFile: String?
    /// The user name sent with the token (GitHub: any, GitLab: `oauth2`).
    public var tokenUser: String
    /// A private key file (OpenSSH or PEM format, no passphrase) for SSH remotes.
    public var sshKeyFile: String?
    /// The known_hosts file SSH host keys are checked against; SSH remotes are refused without one.
    public var knownHostsFile: String?

    public init(
        url: String, tokenFile: String? = nil, tokenUser: String = "x-access-token", sshKeyFile: String? = nil,
        knownHostsFile: String? = nil
    ) {
        self.url = url
        self.tokenFile = tokenFile
        self.tokenUser = tokenUser
        self.sshKeyFile = sshKeyFile
        self.knownHostsFile = knownHostsFile
    }

    /// The URL with any `user:password@` removed, for messages and logs.
    public var displayURL: String { GitError.redacted(url) }

    /// True for `ssh://...` and scp-like `user@host:path`.
    public var isSSH: Bool {
        if url.hasPrefix("ssh://") || url.hasPrefix("ssh+git://") || url.hasPrefix("git+ssh://") { return true }
        if url.contains("://") || url.hasPrefix("/") || url.hasPrefix(".") { return false }
        guard let colon = url.firstIndex(of: ":") else { return false }
        return !url[..<colon].contains("/")
    }

    /// The SSH port from an `ssh://host:port/...` URL, 22 otherwise.
    var sshPort: Int {
        guard url.contains("://"), let components = URLComponents(string: url), let port = components.port else {
            return 22
        }
        return port
    }
}
