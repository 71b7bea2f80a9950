import Foundation
import TideGit

/// The git section of `make bench`: how fast Tide sees a new commit and the services it touched, on a repo
/// with 1,000 commits and 5,000 files, against `git fetch` + `git diff-tree` from the command line.
enum GitBench {
    static let services = 50
    static let filesPerService = 100
    static let commits = 1_000
    static let runs = 15

    static func run() async throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tide-bench-git-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let origin = dir + "/origin.git"
        let started = ContinuousClock.now
        try git(["init", "-q", "--bare", "-b", "main", origin])
        try git(["-C", origin, "fast-import", "--quiet"], input: history())
        print("git: repo of \(commits) commits, \(services * filesPerService) files made in \(ContinuousClock.now - started)")

        let mirror = try GitMirror(path: dir + "/tide.git", remote: GitRemote(url: origin), branch: "main")
        _ = try await mirror.fetch()
        let cli = dir + "/cli.git"
        try git(["init", "-q", "--bare", "-b", "main", cli])
        let refspec = "+refs/heads/main:refs/remotes/origin/main"
        try git(["-C", cli, "fetch", "-q", origin, refspec])

        var tideTimes: [Duration] = []
        var cliTimes: [Duration] = []
        for run in 0..<runs {
            let service = "svc-\(run % services)"
            try git(["-C", origin, "fast-import", "--quiet"], input: change(service: service, run: run))

            let t0 = ContinuousClock.now
            let update = try await mirror.fetch()
            tideTimes.append(ContinuousClock.now - t0)
            guard update.kind == .fastForward, update.services == [service] else {
                throw BenchFailure("TideGit saw \(update.kind) touching \(update.services), expected \(service)")
            }

            let t1 = ContinuousClock.now
            let old = try git(["-C", cli, "rev-parse", "refs/remotes/origin/main"]).trimmed
            try git(["-C", cli, "fetch", "-q", origin, refspec])
            let new = try git(["-C", cli, "rev-parse", "refs/remotes/origin/main"]).trimmed
            let paths = try git(["-C", cli, "diff-tree", "-r", "--name-only", old, new])
            let (touched, _) = GitCommit.classify(paths: paths.split(separator: "\n").map(String.init))
            cliTimes.append(ContinuousClock.now - t1)
            guard touched == [service] else { throw BenchFailure("git CLI saw \(touched), expected \(service)") }
        }
        let tide = median(tideTimes)
        let cliMedian = median(cliTimes)
        print("git: detect new commit + services touched, median of \(runs) runs (fetch from a local path):")
        print("git:   TideGit (libgit2)          \(milliseconds(tide)) ms")
        print("git:   git fetch + git diff-tree  \(milliseconds(cliMedian)) ms")
        print("git:   ratio CLI / TideGit        \(String(format: "%.2f", seconds(cliMedian) / seconds(tide)))x")
    }

    /// A fast-import stream: one commit adding every file, then small commits changing one file each.
    static func history() -> String {
        var out = ""
        var time = 1_700_000_000
        // One stream, one branch: each commit follows the previous one without a `from` line.
        func commit(_ message: String, files: [(String, String)]) {
            out += "commit refs/heads/main\ncommitter Bench <bench@example.com> \(time) +0000\n"
            out += "data \(message.utf8.count)\n\(message)\n"
            for (path, text) in files { out += "M 100644 inline \(path)\ndata \(text.utf8.count)\n\(text)\n" }
            time += 60
        }
        var all: [(String, String)] = [("tide.yaml", "fleet: bench\n")]
        for s in 0..<services {
            for f in 0..<filesPerService { all.append(("services/svc-\(s)/file-\(f).yaml", "value: \(s)-\(f)\n")) }
        }
        commit("Initial fleet", files: all)
        for c in 1..<commits {
            let s = c % services
            commit("svc-\(s): change \(c)", files: [("services/svc-\(s)/file-\(c % filesPerService).yaml", "value: \(c)\n")])
        }
        return out
    }

    static func change(service: String, run: Int) -> String {
        let message = "\(service): bench run \(run)"
        let text = "bench: \(run)\n"
        return """
            commit refs/heads/main
            committer Bench <bench@example.com> \(1_800_000_000 + run) +0000
            data \(message.utf8.count)
            \(message)
            from refs/heads/main^0
            M 100644 inline services/\(service)/file-0.yaml
            data \(text.utf8.count)
            \(text)

            """
    }

    /// Runs git with `arguments` (and `input` on stdin); returns stdout, throws unless it exits 0.
    @discardableResult
    static func git(_ arguments: [String], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            let writer = stdin.fileHandleForWriting
            let data = Data(input.utf8)
            // Write on another thread so a full stdout pipe cannot deadlock us.
            Thread.detachNewThread {
                writer.write(data)
                try? writer.close()
            }
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchFailure("git \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }
    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
    static func milliseconds(_ d: Duration) -> String { String(format: "%.1f", seconds(d) * 1000) }

    struct BenchFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
