import Foundation
import TideLoadgen
import TideLog

// tide-loadgen: N simulated agents against a Tide controller on loopback. docs/loadgen.md.

Log.configure(component: "tide-loadgen")
let commandLine: LoadgenCommandLine
do {
    commandLine = try LoadgenCommandLine(Array(CommandLine.arguments.dropFirst()))
} catch let error as LoadgenError where error.isHelp {
    print(error.description)
    exit(0)
} catch {
    FileHandle.standardError.write(Data("tide-loadgen: \(error)\n".utf8))
    exit(2)
}

var options = commandLine.options
var eventsFile: FileHandle?
if let path = commandLine.eventsPath {
    guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
        FileHandle.standardError.write(Data("tide-loadgen: --events \(path): cannot create it\n".utf8))
        exit(2)
    }
    eventsFile = handle
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    options.onEvent = { event in
        if var line = try? encoder.encode(event) {
            line.append(10)
            handle.write(line)
        }
    }
}

let simulator: FleetSimulator
do {
    simulator = try FleetSimulator(options)
} catch {
    FileHandle.standardError.write(Data("tide-loadgen: \(error)\n".utf8))
    exit(2)
}

var signalSources: [DispatchSourceSignal] = []
for sig in [SIGINT, SIGTERM] {
    signal(sig, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
    source.setEventHandler {
        Log.info("loadgen.signal", ["signal": sig == SIGTERM ? "TERM" : "INT"])
        Task { await simulator.stop() }
    }
    source.resume()
    signalSources.append(source)
}

simulator.start()
let quiet = commandLine.quiet
let progress = Task {
    var lastProblems: [String: Int] = [:]
    while !Task.isCancelled {
        try? await Task.sleep(for: .seconds(1))
        if quiet || Task.isCancelled { continue }
        let s = simulator.stats()
        let applied = s.revisions.reduce(0) { $0 + $1.applied }
        let healthy = s.revisions.reduce(0) { $0 + $1.healthy }
        let unhealthy = s.revisions.reduce(0) { $0 + $1.unhealthy }
        let line =
            "t=\(Int(s.elapsedSeconds))s agents=\(s.agents) started=\(s.started) connected=\(s.connectionsOpen) "
            + "waiting=\(s.waiting) answered=\(s.answered) applied=\(applied) healthy=\(healthy) unhealthy=\(unhealthy) "
            + "reports=\(s.reportsSent) blobs=\(s.blobsFetched) errors=\(s.connectionErrors) backoff=\(s.backingOff) "
            + "5xx=\(s.responses["5xx"] ?? 0) 4xx=\(s.responses["4xx"] ?? 0) "
            + "report_p50=\(s.reportLatencyP50Ms.map { "\($0)ms" } ?? "-") report_p99=\(s.reportLatencyP99Ms.map { "\($0)ms" } ?? "-") "
            + "pool_waiting=\(s.poolWaiting) pool_wait_p99=\(s.reportQueueP99Ms.map { "\($0)ms" } ?? "-")\n"
        FileHandle.standardError.write(Data(line.utf8))
        // What went wrong since the last line, by kind.
        for (what, count) in s.problems.sorted(by: { $0.key < $1.key }) where count != lastProblems[what] {
            FileHandle.standardError.write(Data("  problem: \(what) ×\(count - (lastProblems[what] ?? 0))\n".utf8))
        }
        lastProblems = s.problems
    }
}
await simulator.finished()
progress.cancel()
let final = simulator.stats()
if let path = commandLine.summaryPath {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    do {
        try encoder.encode(final).write(to: URL(fileURLWithPath: path))
    } catch {
        FileHandle.standardError.write(Data("tide-loadgen: --summary \(path): \(error)\n".utf8))
        exit(1)
    }
}
try? eventsFile?.close()
Log.info("loadgen.stopped", ["agents": final.agents, "requests": final.requestsSent, "errors": final.connectionErrors])
exit(0)
