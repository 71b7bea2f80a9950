import Foundation
import Synchronization
import TideCore
import TideHTTP
import TideLog

/// The agent on one server: long-polls its desired state, applies each service's files as one set,
/// runs reload and health checks, reports every phase, and repairs drift.
///
/// All file work happens on this actor, one service at a time; the long poll, the reporter and the
/// signal handlers run beside it and talk to it through `events`.
public actor Agent {
    enum Event: Sendable { case desired, tick, stop }

    let options: AgentOptions
    let connection: ControllerConnection
    let blobs: BlobCache
    let fileSet: FileSet
    let manifestPath: String
    let historyPath: String
    let outputPath: String
    let reports = ReportQueue()
    let latest = LatestDesired()
    let events: AsyncStream<Event>
    let eventSink: AsyncStream<Event>.Continuation

    var manifest: Manifest
    var status: [String: ServiceStatus] = [:]
    /// Bundles that failed to apply, by service; not retried until the desired bundle changes.
    var failed: [String: String] = [:]
    var lastDesired: AgentProtocol.DesiredState?
    var nextCheck = ContinuousClock.now
    var nextHeartbeat = ContinuousClock.now
    var signalSources: [any DispatchSourceSignal] = []

    /// Opens the state directory, finishes or rolls back a set a previous run left half-done, and loads the manifest.
    public init(options: AgentOptions) throws {
        self.options = options
        let state = options.stateDirectory
        try DiskFile.makeDirectories(state)
        manifestPath = state + "/manifest.json"
        historyPath = state + "/history.jsonl"
        outputPath = state + "/command-output"
        blobs = try BlobCache(directory: state + "/blobs")
        var root = options.root
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        fileSet = FileSet(
            root: root, allowedRoots: options.allowedRoots, journalPath: state + "/journal.json", blobs: blobs,
            pauseBeforeRename: ProcessInfo.processInfo.environment["TIDE_AGENT_TEST_PAUSE_BEFORE_RENAME"])
        connection = ControllerConnection(controller: options.controller, server: options.name, token: options.token)
        manifest = try Manifest.load(manifestPath)
        (events, eventSink) = AsyncStream.makeStream(of: Event.self)
        if let service = fileSet.recover(manifest: manifest) {
            Log.warning("agent.recovered", ["service": service, "detail": "a set interrupted by a crash was put back"])
        }
    }

    /// Runs until SIGTERM or SIGINT; an apply in progress is finished first.
    public func run() async {
        let clock = ContinuousClock()
        for (service, entry) in manifest.services.sorted(by: { $0.key < $1.key }) {
            status[service] = ServiceStatus(bundle: entry.bundle, revision: entry.revision, phase: .applied)
            settle(
                AgentProtocol.DesiredService(service: service, revision: entry.revision, bundle: entry.bundle),
                detail: "held since restart")
        }
        Log.info("agent.started", ["server": options.name, "controller": options.controller, "services": manifest.services.count])
        installSignalHandlers()
        let poller = Task { [connection, latest, eventSink, options] in
            await Self.poll(connection: connection, latest: latest, sink: eventSink, options: options)
        }
        let ticker = Task { [eventSink] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                eventSink.yield(.tick)
            }
        }
        let reporter = Task { [connection, reports, options] in
            await Self.send(reports: reports, connection: connection, retryMax: options.retryMax)
        }
        loop: for await event in events {
            switch event {
            case .desired:
                if let desired = latest.value.withLock({ $0 }) {
                    lastDesired = desired
                    await reconcile(desired)
                }
            case .tick:
                await tick()
            case .stop:
                break loop
            }
        }
        poller.cancel()
        ticker.cancel()
        let deadline = clock.now + .seconds(3)
        while !reports.isEmpty, clock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        reporter.cancel()
        reports.finish()
        Log.info("agent.stopped", ["server": options.name])
    }

    private func installSignalHandlers() {
        // No SIG_IGN first: libdispatch installs its own handler on Linux, and an ignored signal
        // would be inherited (still ignored) by every reload and health command.
        for sig in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            let sink = eventSink
            source.setEventHandler {
                Log.info("agent.signal", ["signal": sig == SIGTERM ? "TERM" : "INT"])
                sink.yield(.stop)
            }
            source.resume()
            signalSources.append(source)
        }
    }

    // MARK: the long poll and the reporter (off the actor)

    static func poll(
        connection: ControllerConnection, latest: LatestDesired,
        sink: AsyncStream<Event>.Continuation, options: AgentOptions
    ) async {
        var index: UInt64 = 0
        var first = true
        var held: String?  // the ETag of the state at `index`
        var backoff = Backoff(cap: options.retryMax)
        var failing = false
        while !Task.isCancelled {
            do {
                let answer = try await connection.desired(after: index, wait: options.wait, holding: first ? nil : held)
                if failing { Log.notice("agent.controller.back", ["controller": options.controller]) }
                failing = false
                backoff.reset()
                // nil: 304, nothing changed during the wait.
                // A new index, or the same state under a new asked heartbeat (its ETag changed).
                if let desired = answer, first || desired.index != index || desired.etag != held {
                    held = desired.etag
                    first = false
                    index = desired.index
                    latest.value.withLock { $0 = desired }
                    sink.yield(.desired)
                }
            } catch {
                if Task.isCancelled { return }
                let delay = backoff.next()
                let fields: KeyValuePairs<String, Any> = ["error": "\(error)", "retryIn": DurationText.format(delay)]
                if let e = error as? AgentError, e.code == .unauthorized || e.code == .unknownServer {
                    Log.error("agent.refused", fields)
                } else if !failing || backoff.attempt % 10 == 1 {
                    Log.warning("agent.controller.unreachable", fields)
                }
                failing = true
                try? await Task.sleep(for: delay)
            }
        }
    }

    static func send(reports: ReportQueue, connection: ControllerConnection, retryMax: Duration) async {
        var backoff = Backoff(cap: retryMax)
        for await _ in reports.wakeups {
            while !Task.isCancelled {
                let batch = reports.takeAll()
                if batch.isEmpty { break }
                do {
                    try await connection.report(AgentProtocol.Report(services: batch))
                    backoff.reset()
                } catch {
                    reports.putBack(batch)
                    let delay = backoff.next()
                    if let e = error as? AgentError, e.code == .unauthorized || e.code == .unknownServer {
                        Log.error("agent.report.refused", ["error": "\(error)"])
                    } else {
                        Log.warning("agent.report.failed", ["error": "\(error)", "retryIn": DurationText.format(delay)])
                    }
                    try? await Task.sleep(for: delay)
                }
            }
        }
    }

    // MARK: reconcile

    func reconcile(_ desired: AgentProtocol.DesiredState) async {
        guard desired.server == options.name else {
            Log.error("agent.desired.wrongServer", ["expected": options.name, "got": desired.server])
            return
        }
        var wanted: [String: AgentProtocol.DesiredService] = [:]
        for d in desired.services { wanted[d.service] = d }
        let names = Set(wanted.keys).union(manifest.services.keys)
        for service in names.sorted() {
            let d =
                wanted[service]
                ?? AgentProtocol.DesiredService(
                    service: service, revision: manifest.services[service]?.revision ?? "", bundle: .empty(service: service))
            await apply(d, absent: wanted[service] == nil)
        }
    }

    func environment(service: String, revision: String?, bundle: String) -> [String: String] {
        [
            "TIDE_ROOT": options.root, "TIDE_SERVER": options.name, "TIDE_SERVICE": service,
            "TIDE_REVISION": revision ?? "", "TIDE_BUNDLE": bundle,
        ]
    }

    /// Brings one service to `desired`: nothing when the disk already matches, else the whole set or nothing.
    func apply(_ desired: AgentProtocol.DesiredService, absent: Bool) async {
        let service = desired.service
        let bundle = desired.bundle
        if failed[service] == bundle.id { return }
        failed[service] = nil
        let held = manifest.services[service]
        let changes: [FileSet.Change]
        do {
            changes = try fileSet.plan(service: service, old: held?.bundle, new: bundle)
        } catch {
            fail(desired, "\(error)")
            return
        }
        let sameBundle = held?.bundle.id == bundle.id || (held == nil && bundle.isEmpty)
        if changes.isEmpty {
            if sameBundle {
                if status[service] == nil, !absent {
                    // Nothing to do and nothing said yet (an empty bundle never placed).
                    settle(desired, detail: nil)
                }
                return
            }
            // A new bundle whose files are already in place (say only health changed): no reload.
            record(desired)
            settle(desired, detail: "no file changed")
            return
        }
        if sameBundle {
            let names = changes.map { $0.target }.joined(separator: ", ")
            Log.warning("agent.drifted", ["service": service, "files": names])
            say(service, bundle, desired.revision, .drifted, "changed on the server behind Tide's back: \(names); putting back")
        } else {
            say(service, bundle, desired.revision, .applying, nil)
        }
        // Fetch what is missing before touching any file.
        do {
            for change in changes {
                guard let file = change.file, !blobs.has(file.blob) else { continue }
                guard BlobCache.isValidID(file.blob) else {
                    throw AgentError(.protocolError, "service \(service): blob id '\(file.blob)' is not a SHA-256")
                }
                try blobs.store(file.blob, try await connection.blob(file.blob))
            }
        } catch let error as AgentError where error.code == .transport {
            // Not this bundle's fault: no `failed` report (it would count against the rollout);
            // tried again on the next check, the phase stays `applying`.
            Log.warning("agent.blob.unreachable", ["service": service, "error": "\(error)"])
            return
        } catch {
            fail(desired, "\(error)")
            return
        }
        let paths = changes.map { fileSet.path($0.target) }
        do {
            try fileSet.place(service: service, bundle: bundle.id, changes)
        } catch {
            fail(desired, "\(error)")
            return
        }
        // Reload once, with the set in place; a reload that fails puts the old files back.
        if let reload = bundle.reload {
            let outcome = await ShellCommand(
                command: reload, environment: environment(service: service, revision: desired.revision, bundle: bundle.id),
                timeout: options.reloadTimeout, outputPath: outputPath
            ).run()
            if !outcome.succeeded {
                fileSet.rollback(paths: paths, existed: Dictionary(changes.map { (fileSet.path($0.target), $0.existed) }, uniquingKeysWith: { a, _ in a }))
                let why = outcome.timedOut ? "timed out" : "exited \(outcome.status)"
                fail(desired, "reload `\(reload)` \(why)" + (outcome.output.isEmpty ? "" : ": \(outcome.output)") + "; files put back")
                return
            }
        }
        if sameBundle {
            fileSet.commit(paths: paths)
        } else {
            record(desired)
            fileSet.commit(paths: paths)
        }
        Log.info("agent.applied", ["service": service, "bundle": bundle.id, "revision": desired.revision, "files": changes.count])
        settle(desired, detail: sameBundle ? "drift repaired" : nil)
        if absent { status[service] = nil }
    }

    /// Writes the manifest and the history line for a newly applied bundle.
    func record(_ desired: AgentProtocol.DesiredService) {
        let time = ISO8601DateFormatter().string(from: Date())
        if desired.bundle.isEmpty {
            manifest.services[desired.service] = nil
        } else {
            manifest.services[desired.service] = Manifest.Entry(revision: desired.revision, bundle: desired.bundle, appliedAt: time)
        }
        do {
            try manifest.save(manifestPath)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let line = HistoryLine(time: time, service: desired.service, revision: desired.revision, bundle: desired.bundle.id)
            try DiskFile.appendLine(historyPath, String(decoding: try encoder.encode(line), as: UTF8.self))
        } catch {
            Log.error("agent.state.write", ["error": "\(error)"])
        }
    }

    /// Reports `applied` and starts health checking (or reports healthy when there is no check).
    func settle(_ desired: AgentProtocol.DesiredService, detail: String?) {
        say(desired.service, desired.bundle, desired.revision, .applied, detail)
        if desired.bundle.health == nil {
            say(desired.service, desired.bundle, desired.revision, .healthy, desired.bundle.isEmpty ? "nothing placed" : "no health check")
        } else {
            status[desired.service]?.nextHealth = ContinuousClock.now
            status[desired.service]?.failures = 0
        }
    }

    func fail(_ desired: AgentProtocol.DesiredService, _ detail: String) {
        Log.error("agent.apply.failed", ["service": desired.service, "bundle": desired.bundle.id, "error": detail])
        failed[desired.service] = desired.bundle.id
        say(desired.service, desired.bundle, desired.revision, .failed, detail)
        status[desired.service]?.nextHealth = nil
    }

    /// Records the phase and queues its report.
    func say(_ service: String, _ bundle: TideCore.Bundle, _ revision: String?, _ phase: AgentProtocol.Phase, _ detail: String?) {
        var s = status[service] ?? ServiceStatus(bundle: bundle, revision: revision, phase: phase)
        s.bundle = bundle
        s.revision = revision
        s.phase = phase
        s.detail = detail
        status[service] = s
        reports.submit(s.report)
    }

    // MARK: timers

    func tick() async {
        let now = ContinuousClock.now
        for service in status.keys.sorted() {
            guard var s = status[service], let due = s.nextHealth, due <= now, let check = s.bundle.health else { continue }
            let problem = await HealthProbe(
                check: check, environment: environment(service: service, revision: s.revision, bundle: s.bundle.id),
                outputPath: outputPath, client: connection.client
            ).run()
            // The actor may have moved on while the probe ran.
            guard status[service]?.bundle.id == s.bundle.id, status[service]?.nextHealth != nil else { continue }
            s = status[service]!
            s.nextHealth = ContinuousClock.now + check.interval
            if let problem {
                s.failures += 1
                status[service] = s
                if s.failures > check.retries, s.phase != .unhealthy || s.detail != problem {
                    Log.warning("agent.unhealthy", ["service": service, "detail": problem])
                    say(service, s.bundle, s.revision, .unhealthy, problem)
                }
            } else {
                s.failures = 0
                status[service] = s
                if s.phase != .healthy { say(service, s.bundle, s.revision, .healthy, nil) }
            }
        }
        if now >= nextCheck {
            nextCheck = now + options.checkInterval
            if let desired = lastDesired { await reconcile(desired) }
        }
        if now >= nextHeartbeat {
            // The controller may ask for more time between repeats (a large fleet); never for less.
            let asked = lastDesired?.heartbeatSeconds.map { Duration.seconds($0) } ?? .zero
            nextHeartbeat = now + max(options.heartbeat, asked)
            for service in status.keys.sorted() { if let s = status[service] { reports.submit(s.report) } }
        }
    }
}

/// The newest desired state the long poll received, handed to the actor.
final class LatestDesired: Sendable {
    let value = Mutex<AgentProtocol.DesiredState?>(nil)
}
