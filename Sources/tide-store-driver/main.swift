import Foundation
import TideCore
import TideStore

#if canImport(Glibc)
    import Glibc
#endif

// `tide-store-driver STATE_DIR WORLD_FILE [--step-delay-us N] [--snapshot-every N]`
//
// Drives a scripted rollout through the engine and the store the way the controller must: record the
// event with its decisions (pending), perform each decision, mark it done. "Performing" appends one line per
// decision to WORLD_FILE (the outside world: agents' targets, the Git remote); before performing, the driver
// checks the world for that decision (as the controller checks the remote for a revert's trailer), so a
// decision already performed before a crash is never performed twice. The crash test SIGKILLs it at random
// points and restarts it until it prints `done`.

let args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: tide-store-driver STATE_DIR WORLD_FILE [--step-delay-us N] [--snapshot-every N]\n".utf8))
    exit(2)
}
let stateDirectory = args[0]
let worldPath = args[1]
func flag(_ name: String, _ fallback: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let n = Int(args[i + 1]) else { return fallback }
    return n
}
let stepDelay = UInt32(flag("--step-delay-us", 0))
let snapshotEvery = flag("--snapshot-every", 7)

/// The scripted events: 20 servers, waves 1/5/10/20, a failure in wave 3, a revert, its rollback rollout.
func script() -> [RolloutEvent] {
    let servers = (0..<20).map { String(format: "s%02d", $0) }
    let t0: Int64 = 1_700_000_000_000
    var events: [RolloutEvent] = servers.map { .heard(server: $0, at: t0) }
    let policy = RolloutPolicy(
        waves: [.count(1), .percent(25), .percent(50), .percent(100)], bake: .seconds(5), waveTimeout: .seconds(300),
        maxFailures: .count(0), onFailure: .revert)
    events.append(
        .revision(
            NewRevision(
                service: "web", revision: "r1", lastGoodRevision: "r0",
                placements: servers.map { .init(server: $0, bundle: "B1", lastGoodBundle: "B0") }, commits: ["r1", "r1a"],
                kind: .change, policy: policy), at: t0))
    var t = t0
    for round in 0..<3 {
        t += 10_000
        for s in servers { events.append(.heard(server: s, at: t)) }
        for s in servers {
            let bad = round == 2 && s == "s07"
            events.append(
                .report(server: s, service: "web", bundle: "B1", phase: bad ? .failed : .healthy,
                    detail: bad ? "health check: exit 1" : nil, at: t))
        }
        events.append(.tick(at: t + 6_000))
    }
    t += 10_000
    events.append(.revertOutcome(service: "web", rollout: "web-1", .pushed(head: "rv1"), at: t))
    events.append(
        .revision(
            NewRevision(
                service: "web", revision: "rv1", lastGoodRevision: "r0",
                placements: servers.map { .init(server: $0, bundle: "B0", lastGoodBundle: "B0") }, commits: ["rv1"],
                kind: .tideRevert, policy: .defaultRollback), at: t))
    t += 5_000
    for s in servers {
        events.append(.report(server: s, service: "web", bundle: "B0", phase: .healthy, detail: nil, at: t))
    }
    events.append(.tick(at: t + 1_000))
    return events
}

/// The outside world: one line per performed decision, fsynced.
final class World {
    let fd: Int32
    var performed: Set<Int64> = []

    init(path: String) throws {
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                if let id = Int64(line.split(separator: " ").first ?? "") { performed.insert(id) }
            }
        }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError(.io, doing: "opening \(path)", message: String(cString: strerror(errno))) }
    }

    /// Performs `d` unless the world shows it was already performed.
    func perform(_ d: StoredDecision) {
        guard !performed.contains(d.id) else { return }
        var line = "\(d.id) \(StateStore.kind(d.decision)) \(d.decision.rollout ?? "-")"
        switch d.decision {
        case .release(_, _, let wave, let targets):
            line += " wave=\(wave) " + targets.map { "\($0.server)=\($0.bundle)" }.joined(separator: ",")
        case .sendBack(_, _, let targets, _):
            line += " " + targets.map { "\($0.server)=\($0.bundle)" }.joined(separator: ",")
        case .startRevert(let r):
            line += " commits=" + r.commits.joined(separator: ",")
        default:
            break
        }
        line += "\n"
        _ = line.withCString { write(fd, $0, strlen($0)) }
        fsync(fd)
        performed.insert(d.id)
    }
}

do {
    let store = try StateStore(directory: stateDirectory, durability: .full, snapshotEvery: snapshotEvery)
    let world = try World(path: worldPath)
    var engine = try store.loadEngine()
    // What was decided and not yet done: perform (unless already performed), then mark done.
    for d in try store.pendingDecisions() {
        world.perform(d)
        usleep(stepDelay)
        try store.markDone(d.id, at: d.at)
    }
    let events = script()
    let start = Int(try store.lastEventSequence())
    for event in events.dropFirst(start) {
        let decisions = engine.handle(event)
        let stored = try store.record(event, engine: engine, decisions: decisions)
        usleep(stepDelay)
        for d in stored {
            world.perform(d)
            usleep(stepDelay)
            try store.markDone(d.id, at: d.at)
        }
    }
    print("done")
} catch {
    FileHandle.standardError.write(Data("tide-store-driver: \(error)\n".utf8))
    exit(1)
}
