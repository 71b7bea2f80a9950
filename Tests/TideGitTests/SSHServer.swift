import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import TideTestSupport

/// A real OpenSSH server on 127.0.0.1 for one test, logging in the current user with a fresh key.
final class SSHServer {
    let dir: TempDirectory
    let port: Int
    /// The client's private key (PEM) that the server accepts.
    let clientKey: String
    /// The server's public host key line (`ecdsa-sha2-nistp256 AAAA...`).
    let hostKeyLine: String
    let user: String

    struct Exited: Error, CustomStringConvertible {
        var description: String { "sshd exited before listening" }
    }

    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") }

    init() throws {
        dir = try TempDirectory("tide-sshd")
        user = try Shell.check("id -un").trimmingCharacters(in: .whitespacesAndNewlines)
        try Shell.check("ssh-keygen -q -t ecdsa -b 256 -N '' -f host_key", in: dir.path)
        try Shell.check("ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -f client_key", in: dir.path)
        try Shell.check("cp client_key.pub authorized_keys && chmod 600 authorized_keys host_key client_key", in: dir.path)
        clientKey = dir("client_key")
        let hostPublic = try String(contentsOfFile: dir("host_key.pub"), encoding: .utf8).split(separator: " ")
        hostKeyLine = "\(hostPublic[0]) \(hostPublic[1])"
        // sshd needs its privilege separation directory when started as root.
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        var lastError: Error = Exited()
        for _ in 0..<5 {
            let port = try GitDaemon.freePort()
            try dir.write(
                "sshd_config",
                """
                Port \(port)
                ListenAddress 127.0.0.1
                HostKey \(dir("host_key"))
                PidFile \(dir("sshd.pid"))
                AuthorizedKeysFile \(dir("authorized_keys"))
                StrictModes no
                UsePAM no
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PermitRootLogin prohibit-password

                """)
            // sshd daemonizes itself (no -D): Foundation's Process would mistake sshd closing its inherited
            // descriptors for an exit and block every other child's wait on it.
            let pidFile = dir("sshd.pid")
            do {
                try Shell.check("/usr/sbin/sshd -E \(dir("sshd.log")) -f \(dir("sshd_config"))")
                try waitUntil(timeout: .seconds(10), "sshd on 127.0.0.1:\(port)") {
                    GitDaemon.accepts(port: port) && FileManager.default.fileExists(atPath: pidFile)
                }
                self.port = port
                return
            } catch {
                lastError = error
                SSHServer.kill(pidFile: pidFile)
            }
        }
        throw lastError
    }

    /// An ssh:// URL for the repository at absolute `path`.
    func url(_ path: String) -> String { "ssh://\(user)@127.0.0.1:\(port)\(path)" }

    /// A known_hosts line trusting this server.
    var knownHostsLine: String { "[127.0.0.1]:\(port) \(hostKeyLine)\n" }

    /// Kills the daemon named in the pid file, if any.
    func stop() { SSHServer.kill(pidFile: dir("sshd.pid")) }

    static func kill(pidFile: String) {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return }
        _ = Glibc.kill(pid, SIGKILL)
        try? FileManager.default.removeItem(atPath: pidFile)
    }

    deinit { stop() }
}
