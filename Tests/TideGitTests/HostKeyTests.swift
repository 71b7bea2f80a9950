import Foundation
import Testing
import TideGit
import TideTestSupport

@Suite struct HostKeyTests {
    func key(_ dir: TempDirectory, _ name: String, type: String = "ed25519") throws -> (line: String, blob: [UInt8]) {
        try Shell.check("ssh-keygen -q -t \(type) -N '' -f \(name)", in: dir.path)
        let fields = try String(contentsOfFile: dir(name + ".pub"), encoding: .utf8).split(separator: " ")
        return ("\(fields[0]) \(fields[1])", Array(Data(base64Encoded: String(fields[1]))!))
    }

    @Test func knownHostsVerdicts() throws {
        let dir = try TempDirectory()
        let good = try key(dir, "good")
        let other = try key(dir, "other")
        let hosts = KnownHosts(
            text: """
                # comment
                git.example.com,10.0.0.5 \(good.line)
                [127.0.0.1]:2222 \(good.line)
                @revoked evil.example.com \(other.line)
                |1|hashed|entry \(other.line)
                """)
        #expect(hosts.verdict(host: "git.example.com", port: 22, key: good.blob) == .trusted)
        #expect(hosts.verdict(host: "10.0.0.5", port: 22, key: good.blob) == .trusted)
        #expect(hosts.verdict(host: "GIT.example.com", port: 22, key: good.blob) == .trusted)
        #expect(hosts.verdict(host: "127.0.0.1", port: 2222, key: good.blob) == .trusted)
        #expect(hosts.verdict(host: "git.example.com", port: 22, key: other.blob) == .changed)
        #expect(hosts.verdict(host: "127.0.0.1", port: 22, key: good.blob) == .unknown)
        #expect(hosts.verdict(host: "git.example.com", port: 2222, key: good.blob) == .unknown)
        #expect(hosts.verdict(host: "evil.example.com", port: 22, key: other.blob) == .unknown)
        #expect(hosts.verdict(host: "unknown.example.com", port: 22, key: good.blob) == .unknown)
    }

    @Test(.enabled(if: SSHServer.available, "needs /usr/sbin/sshd (openssh-server)"))
    func realSSHServerHostKeyChecked() async throws {
        let fleet = try Fleet()
        let server = try SSHServer()
        defer { server.stop() }
        let url = server.url(fleet.originPath)
        let knownHosts = fleet.dir("known_hosts")

        // Unknown: the file has no entry for this server.
        try fleet.dir.write("known_hosts", "git.example.com \(server.hostKeyLine)\n")
        let remote = GitRemote(url: url, sshKeyFile: server.clientKey, knownHostsFile: knownHosts)
        let unknown = await #expect(throws: GitError.self) {
            try await GitMirror(path: fleet.dir("m1.git"), remote: remote, branch: "main").fetch()
        }
        #expect(unknown?.code == .hostKeyUnknown)
        #expect(unknown?.message.contains("[127.0.0.1]:\(server.port)") == true)
        #expect(unknown?.doing.hasPrefix("fetching main from ssh://") == true)

        // Changed: an entry for this server with another key.
        let otherKey = try key(fleet.dir, "impostor", type: "ecdsa")
        try fleet.dir.write("known_hosts", "[127.0.0.1]:\(server.port) \(otherKey.line)\n")
        let changed = await #expect(throws: GitError.self) {
            try await GitMirror(path: fleet.dir("m2.git"), remote: remote, branch: "main").fetch()
        }
        #expect(changed?.code == .hostKeyChanged)

        // No known_hosts file configured: refused too.
        let noFile = GitRemote(url: url, sshKeyFile: server.clientKey)
        let refused = await #expect(throws: GitError.self) {
            try await GitMirror(path: fleet.dir("m3.git"), remote: noFile, branch: "main").fetch()
        }
        #expect(refused?.code == .hostKeyUnknown)

        // Trusted: fetch over SSH, logging in with the key from the file. (Push over SSH is not tested.)
        try fleet.dir.write("known_hosts", server.knownHostsLine)
        let mirror = try GitMirror(path: fleet.dir("m4.git"), remote: remote, branch: "main")
        #expect(try await mirror.fetch().newHead == fleet.first)
    }
}
