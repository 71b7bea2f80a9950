import Foundation
import TideController
import TideCore
import TideLog

/// `tide controller`: the fleet's controller service.
enum ControllerCommand: TideCommand {
    static let name = "controller"
    static let summary = "run the controller: watch the config repo, roll changes out in waves, revert in Git"
    static let help = """
        usage: tide controller --repo URL --state-dir DIR [flags]

        Keeps a bare mirror of the config repo in the state directory, fetches it on an interval and
        when a forge's webhook says so, validates and plans each new revision, rolls changes out in
        waves over the agents, and reverts a change in Git when a wave breaches its threshold.
        State (SQLite, the mirror) lives in --state-dir; a second controller on it is refused.

          --repo URL               config repo: a path, file://, git://, http(s)://, ssh:// or user@host:path
          --branch NAME            branch to follow (default main)
          --state-dir DIR          state directory (created if missing)
          --listen HOST:PORT       HTTP API address (default 127.0.0.1:7400; port 0 = any free port)
          --poll DUR               fetch interval, with up to 10% jitter (default 15s)
          --startup-grace DUR      after start, wait this long for agents to reconnect before
                                   releasing anything (default 5s)
          --agent-token-file F     agents must send this token (Authorization: Bearer)
          --operator-tokens F      operator tokens: lines of `name role sha256(token)`,
                                   role viewer|operator|admin
          --webhook-secret-file F  secret for POST /hooks/{github,gitlab,gitea}
          --tls-cert F --tls-key F serve HTTPS with this PEM certificate and key
          --https-token-file F     token for an https:// remote
          --ssh-key F              private key for an ssh:// remote
          --known-hosts F          known_hosts file for an ssh:// remote (unknown hosts are refused)
          --author "NAME <EMAIL>"  author of Tide's revert commits (default Tide <tide@HOSTNAME>)
          --push-attempts N        pushes of a revert before giving up when the branch keeps moving (default 5)
        \(Log.flagsHelp)
        """

    static func run(_ args: [String]) async throws -> Int32 {
        let a = try Arguments(
            args,
            valueFlags: [
                "repo", "branch", "state-dir", "listen", "poll", "startup-grace", "agent-token-file", "operator-tokens",
                "webhook-secret-file", "tls-cert", "tls-key", "https-token-file", "ssh-key", "known-hosts", "author",
                "push-attempts", "log-format", "log-level",
            ])
        try Log.configure(formatFlag: a.value("log-format"), levelFlag: a.value("log-level"), component: "controller")
        var options = ControllerOptions(repo: try a.required("repo"), stateDirectory: try a.required("state-dir"))
        if let branch = a.value("branch") { options.branch = branch }
        if let listen = a.value("listen") {
            guard let (host, port) = ControllerOptions.parseListen(listen) else {
                throw Arguments.UsageError(description: "--listen must be HOST:PORT, got '\(listen)'")
            }
            options.listenHost = host
            options.listenPort = port
        }
        options.poll = try duration(a, "poll") ?? options.poll
        options.startupGrace = try duration(a, "startup-grace") ?? options.startupGrace
        options.agentTokenFile = a.value("agent-token-file")
        options.operatorTokensFile = a.value("operator-tokens")
        options.webhookSecretFile = a.value("webhook-secret-file")
        options.tlsCertificateFile = a.value("tls-cert")
        options.tlsKeyFile = a.value("tls-key")
        guard (options.tlsCertificateFile == nil) == (options.tlsKeyFile == nil) else {
            throw Arguments.UsageError(description: "--tls-cert and --tls-key go together")
        }
        options.httpsTokenFile = a.value("https-token-file")
        options.sshKeyFile = a.value("ssh-key")
        options.knownHostsFile = a.value("known-hosts")
        if let author = a.value("author") {
            guard let lt = author.firstIndex(of: "<"), author.hasSuffix(">") else {
                throw Arguments.UsageError(description: "--author must look like \"Name <email>\", got '\(author)'")
            }
            options.authorName = author[..<lt].trimmingCharacters(in: .whitespaces)
            options.authorEmail = String(author[author.index(after: lt)..<author.index(before: author.endIndex)])
        }
        if let attempts = a.value("push-attempts") {
            guard let n = Int(attempts), n >= 1, n <= 100 else {
                throw Arguments.UsageError(description: "--push-attempts must be a number from 1 to 100, got '\(attempts)'")
            }
            options.pushAttempts = n
        }

        return try await Controller.run(options)
    }

    static func duration(_ a: Arguments, _ flag: String) throws -> Duration? {
        guard let text = a.value(flag) else { return nil }
        guard let d = DurationText.parse(text) else {
            throw Arguments.UsageError(description: "--\(flag) must be a duration like 500ms, 15s or 1m, got '\(text)'")
        }
        return d
    }
}
