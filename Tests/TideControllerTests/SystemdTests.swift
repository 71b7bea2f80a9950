import Foundation
import Testing
import TideTestSupport

@testable import TideController

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.serialized) struct SystemdTests {
    /// A unix datagram socket standing in for systemd's notify socket.
    final class NotifySocket {
        let fd: Int32
        let path: String

        init(path: String) throws {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw POSIXError(.ENAMETOOLONG) }
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                for (i, b) in bytes.enumerated() { raw[i] = b }
            }
            let r = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard fd >= 0, r == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
            var tv = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }

        /// The next datagram, or nil after 2 s.
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
        }

        deinit { close(fd) }
    }

    @Test func notifyReachesTheSocketAndWatchdogPingsAtHalfTheInterval() async throws {
        // Short path: sun_path holds 108 bytes.
        let path = "/tmp/tide-notify-\(UUID().uuidString.prefix(8))"
        defer { unlink(path) }
        let sock = try NotifySocket(path: path)
        // sd_notify reads $NOTIFY_SOCKET: this test sets it in-process (no other test uses sd_notify).
        setenv("NOTIFY_SOCKET", path, 1)
        defer {
            unsetenv("NOTIFY_SOCKET")
            unsetenv("WATCHDOG_USEC")
            unsetenv("WATCHDOG_PID")
        }

        #expect(SystemdNotifier.ready(status: "serving 35 agents\nline two"))
        #expect(sock.receive() == "READY=1\nSTATUS=serving 35 agents line two")
        #expect(SystemdNotifier.status("fetching"))
        #expect(sock.receive() == "STATUS=fetching")
        #expect(SystemdNotifier.stopping())
        #expect(sock.receive() == "STOPPING=1")

        #expect(SystemdNotifier.watchdogInterval == nil)
        setenv("WATCHDOG_PID", "\(getpid())", 1)
        setenv("WATCHDOG_USEC", "200000", 1)
        #expect(SystemdNotifier.watchdogInterval == .milliseconds(100))
        let pinger = Task { await SystemdNotifier.runWatchdog() }
        let first = sock.receive()
        let second = sock.receive()
        pinger.cancel()
        await pinger.value
        #expect(first == "WATCHDOG=1")
        #expect(second == "WATCHDOG=1")

        // Another process's watchdog: not ours to ping.
        setenv("WATCHDOG_PID", "1", 1)
        #expect(SystemdNotifier.watchdogInterval == nil)
    }

    @Test func outsideSystemdEveryCallIsANoOp() {
        #expect(ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] == nil)
        #expect(!SystemdNotifier.ready())
        #expect(!SystemdNotifier.watchdogPing())
    }

    static var unitDirectory: URL {
        // Tests/TideControllerTests/SystemdTests.swift -> the package root.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/systemd")
    }

    /// `systemd-analyze verify` needs ExecStart's binary to exist: the units are copied to a temp dir
    /// with /usr/local/bin/tide replaced by an executable stub there.
    @Test(arguments: ["tide-controller.service", "tide-agent.service"])
    func unitPassesSystemdAnalyzeVerify(unit: String) throws {
        if try Shell.run("command -v systemd-analyze").status != 0 {
            try Shell.check("./scripts/install-deps systemd", in: Self.unitDirectory.deletingLastPathComponent().deletingLastPathComponent().path)
        }
        let dir = try TempDirectory("units")
        let stub = try dir.write("bin/tide", "#!/bin/sh\nexit 0\n")
        try Shell.check("chmod +x \(Shell.quote(stub))")
        let text = try String(contentsOf: Self.unitDirectory.appendingPathComponent(unit), encoding: .utf8)
        #expect(text.contains("/usr/local/bin/tide "))
        let copy = try dir.write(unit, text.replacingOccurrences(of: "/usr/local/bin/tide ", with: stub + " "))
        let result = try Shell.run("systemd-analyze verify --man=no \(Shell.quote(copy))", in: dir.path)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect((result.stdout + result.stderr).isEmpty, "warnings: \(result.stdout)\(result.stderr)")

        // The exposure score systemd computes from the sandboxing settings (0 best, 10 worst).
        let security = try Shell.run("systemd-analyze security --offline=yes --no-pager \(Shell.quote(copy))", in: dir.path)
        let scoreLine = (security.stdout + security.stderr).split(separator: "\n").first { $0.contains("Overall exposure level") }
        let score = scoreLine.flatMap { line in
            line.split(separator: " ").compactMap { Double($0) }.first
        }
        let limit = unit == "tide-controller.service" ? 2.0 : 5.0
        #expect(score != nil && score! <= limit, "exposure: \(scoreLine ?? "none")")
    }

    @Test func execStartFlagsMatchTheCLI() throws {
        func execStart(_ unit: String) throws -> String {
            let text = try String(contentsOf: Self.unitDirectory.appendingPathComponent(unit), encoding: .utf8)
            let joined = text.replacingOccurrences(of: "\\\n", with: " ")
            return joined.split(separator: "\n").first { $0.hasPrefix("ExecStart=") }.map(String.init) ?? ""
        }
        let controller = try execStart("tide-controller.service")
        for part in [
            "/usr/local/bin/tide controller", "--repo ", "--branch main", "--state-dir /var/lib/tide ",
            "--listen 0.0.0.0:7400", "--agent-token-file ${CREDENTIALS_DIRECTORY}/agent-token",
            "--operator-tokens ${CREDENTIALS_DIRECTORY}/operator-tokens",
            "--webhook-secret-file ${CREDENTIALS_DIRECTORY}/webhook-secret",
        ] {
            #expect(controller.contains(part), "controller ExecStart lacks \(part)")
        }
        let agent = try execStart("tide-agent.service")
        for part in [
            "/usr/local/bin/tide agent", "--controller ", "--name %H", "--state-dir /var/lib/tide-agent",
            "--token-file ${CREDENTIALS_DIRECTORY}/agent-token",
        ] {
            #expect(agent.contains(part), "agent ExecStart lacks \(part)")
        }
    }
}
