import Foundation

/// Runs a command through `/bin/sh -c` with Tide's variables in its environment, bounded by a timeout.
struct ShellCommand {
    struct Outcome: Sendable {
        var status: Int32
        var timedOut: Bool
        /// The last part of stdout and stderr together, for reports.
        var output: String
        var succeeded: Bool { status == 0 && !timedOut }
    }

    let command: String
    let environment: [String: String]
    let timeout: Duration
    /// Where the output goes (a file, so a command's children cannot block the agent on a pipe).
    let outputPath: String

    func run() async -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        env.removeValue(forKey: "TIDE_AGENT_TEST_PAUSE_BEFORE_RENAME")
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        guard let out = FileHandle(forWritingAtPath: outputPath) else {
            return Outcome(status: -1, timedOut: false, output: "cannot open \(outputPath)")
        }
        defer { try? out.close() }
        process.standardOutput = out
        process.standardError = out
        let finished = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { p in
            finished.continuation.yield(p.terminationStatus)
            finished.continuation.finish()
        }
        do {
            try process.run()
        } catch {
            return Outcome(status: -1, timedOut: false, output: "cannot run /bin/sh: \(error)")
        }
        let pid = process.processIdentifier
        let timer = Task { () -> Bool in
            do { try await Task.sleep(for: timeout) } catch { return false }
            kill(pid, SIGKILL)
            return true
        }
        var status: Int32 = -1
        for await s in finished.stream { status = s }
        timer.cancel()
        let timedOut = await timer.value
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: outputPath))) ?? Data()
        var text = String(decoding: bytes.suffix(2000), as: UTF8.self)
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return Outcome(status: status, timedOut: timedOut, output: text)
    }
}
