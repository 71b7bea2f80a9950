import Foundation
import TideCore

/// One simulated server's agent: its long poll (own connection), what it holds per service, its
/// report queue and heartbeat. Loop thread only; a few hundred bytes per agent when idle.
final class SimulatedAgent {
    private struct Held {
        var bundle: TideCore.Bundle
        var revision: String
        var phase: AgentProtocol.Phase
    }

    let name: String
    private let path: String
    private unowned let context: SimulationContext
    private let poll: HTTPConnection
    private var index: UInt64 = 0
    private var answered = false
    private var desired: [AgentProtocol.DesiredService] = []
    private var held: [String: Held] = [:]
    private var told: [String: String] = [:]
    private var saidApplying: [String: String] = [:]
    private var fetching = false
    private var fetchAttempt = 0
    private var reports: [AgentProtocol.ServiceReport] = []
    /// The queued reports include a phase change (not only heartbeat repeats).
    private var reportsUrgent = false
    private var reportInFlight = false
    private var reportAttempt = 0
    private var pollAttempt = 0
    private var stopped = false
    private var started = false
    /// The controller's `heartbeatSeconds` (0: none asked); the heartbeat is the longer of it and ours.
    private var askedHeartbeat = 0.0
    /// The ETag of the desired state held (its index and asked heartbeat).
    private var heldETag: String?

    init(name: String, number: Int, context: SimulationContext) {
        self.name = name
        self.path = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? name
        self.context = context
        self.poll = HTTPConnection(
            loop: context.loop, address: context.address, recorder: context.recorder,
            source: context.options.distinctSourceAddresses ? ControllerAddress.sourceAddress(number) : nil)
    }

    func start() {
        guard !started, !stopped else { return }
        started = true
        context.recorder.agentStarted()
        sendPoll()
        if context.heartbeat > 0 {
            context.loop.schedule(after: Double.random(in: 0.2...1.0) * context.heartbeat) { [weak self] in self?.beat() }
        }
    }

    func stop() {
        stopped = true
        poll.close()
    }

    // MARK: long poll

    private func sendPoll() {
        guard !stopped else { return }
        context.recorder.waiting(1)
        poll.send(context.pollRequest(path, index: index, holding: answered ? heldETag : nil), timeout: context.pollTimeout) { [weak self] result in
            guard let self else { return }
            self.context.recorder.waiting(-1)
            guard !self.stopped else { return }
            switch result {
            case .success(let reply):
                self.context.recorder.response(status: reply.status)
                if reply.status == 304, self.answered {
                    // Nothing changed during the wait.
                    self.pollAttempt = 0
                    self.sendPoll()
                    return
                }
                guard reply.status == 200 else {
                    self.context.recorder.problem("GET desired: \(ProblemText.describe(reply))")
                    self.retryPoll()
                    return
                }
                do {
                    let (newIndex, services, heartbeat) = try self.context.desired.decode(reply.body, server: self.name)
                    self.pollAttempt = 0
                    self.askedHeartbeat = Double(heartbeat ?? 0)
                    self.heldETag = AgentProtocol.DesiredState.etag(index: newIndex, heartbeat: heartbeat)
                    if !self.answered || newIndex != self.index {
                        if !self.answered { self.context.recorder.agentAnswered() }
                        self.answered = true
                        self.index = newIndex
                        self.receive(services)
                    }
                    self.sendPoll()
                } catch {
                    self.context.recorder.problem("GET desired: \(error)")
                    self.retryPoll()
                }
            case .failure(let error):
                self.context.recorder.problem("GET desired: \(error)")
                self.retryPoll()
            }
        }
    }

    private func retryPoll() {
        let delay = context.backoff(attempt: pollAttempt)
        pollAttempt += 1
        context.recorder.backingOff(1)
        context.loop.schedule(after: delay) { [weak self] in
            guard let self else { return }
            self.context.recorder.backingOff(-1)
            self.sendPoll()
        }
    }

    // MARK: reconcile

    private func receive(_ services: [AgentProtocol.DesiredService]) {
        let recorder = context.recorder
        var now: [String: String] = [:]
        for d in services { now[d.service] = d.revision }
        for (service, _) in told where now[service] == nil {
            recorder.member(service, -1)
            told[service] = nil
        }
        for d in services where told[d.service] != d.revision {
            if told[d.service] == nil { recorder.member(d.service, 1) }
            told[d.service] = d.revision
            recorder.reached(.told, service: d.service, revision: d.revision)
        }
        desired = services
        reconcile()
    }

    private struct Change {
        var desired: AgentProtocol.DesiredService
        var absent: Bool
    }

    /// Brings what the agent holds to the latest desired state: reports `applying`, fetches what the
    /// cache lacks, then applies every changed service at once.
    private func reconcile() {
        guard !fetching, !stopped else { return }
        var wanted: [String: AgentProtocol.DesiredService] = [:]
        for d in desired { wanted[d.service] = d }
        var changes: [Change] = []
        for service in Set(wanted.keys).union(held.keys).sorted() {
            let h = held[service]
            let d =
                wanted[service]
                ?? AgentProtocol.DesiredService(service: service, revision: h?.revision ?? "", bundle: .empty(service: service))
            let absent = wanted[service] == nil
            if h?.bundle.id == d.bundle.id { continue }
            if h == nil, d.bundle.isEmpty {
                if !absent {
                    // An empty bundle never placed: nothing to do, said once (as the real agent does).
                    settle(d, old: nil)
                }
                continue
            }
            changes.append(Change(desired: d, absent: absent))
        }
        guard !changes.isEmpty else {
            flushReports()
            return
        }
        for c in changes where saidApplying[c.desired.service] != c.desired.bundle.id {
            saidApplying[c.desired.service] = c.desired.bundle.id
            say(c.desired, .applying)
        }
        var missing: Set<String> = []
        for c in changes {
            for f in c.desired.bundle.files where context.blobs.blob(f.blob) == nil { missing.insert(f.blob) }
        }
        flushReports()
        if missing.isEmpty {
            fetchAttempt = 0
            for c in changes { apply(c) }
            flushReports()
            return
        }
        fetching = true
        var left = missing.count
        var allFetched = true
        for id in missing {
            context.blobs.fetch(id) { [weak self] ok in
                guard let self else { return }
                if !ok { allFetched = false }
                left -= 1
                guard left == 0 else { return }
                self.fetching = false
                if allFetched {
                    self.reconcile()
                } else {
                    // The phase stays `applying`; try again after a backoff, as the real agent does.
                    let delay = self.context.backoff(attempt: self.fetchAttempt)
                    self.fetchAttempt += 1
                    self.context.loop.schedule(after: delay) { [weak self] in self?.reconcile() }
                }
            }
        }
    }

    private func apply(_ change: Change) {
        let d = change.desired
        let old = held[d.service]
        if let root = context.options.disk {
            do {
                try DiskWriter.apply(root: root, server: name, old: old?.bundle, new: d.bundle, blobs: context.blobs)
            } catch {
                saidApplying[d.service] = nil
                say(d, .failed, detail: "\(error)")
                return
            }
        }
        saidApplying[d.service] = nil
        if change.absent {
            held[d.service] = nil
            context.recorder.holding(service: d.service, from: old?.revision, to: nil)
            say(d, .applied)
            say(d, .healthy, detail: "nothing placed")
            return
        }
        settle(d, old: old)
    }

    /// Records `d` as held and reports `applied` then its health.
    private func settle(_ d: AgentProtocol.DesiredService, old: Held?) {
        let unhealthy = context.fails(server: name, bundle: d.bundle, revision: d.revision)
        held[d.service] = Held(bundle: d.bundle, revision: d.revision, phase: unhealthy ? .unhealthy : .healthy)
        context.recorder.holding(service: d.service, from: old?.revision, to: d.revision)
        say(d, .applied)
        context.recorder.reached(.applied, service: d.service, revision: d.revision)
        if unhealthy {
            say(d, .unhealthy, detail: "tide-loadgen: failure injected")
            context.recorder.reached(.unhealthy, service: d.service, revision: d.revision)
        } else {
            say(d, .healthy, detail: d.bundle.isEmpty ? "nothing placed" : nil)
            context.recorder.reached(.healthy, service: d.service, revision: d.revision)
        }
    }

    private func say(_ d: AgentProtocol.DesiredService, _ phase: AgentProtocol.Phase, detail: String? = nil) {
        reports.append(
            AgentProtocol.ServiceReport(service: d.service, bundle: d.bundle.id, revision: d.revision, phase: phase, detail: detail))
        reportsUrgent = true
        if reports.count > 1000 { reports.removeFirst(reports.count - 1000) }
    }

    // MARK: reports

    private func beat() {
        guard !stopped else { return }
        for (service, h) in held.sorted(by: { $0.key < $1.key }) {
            reports.append(AgentProtocol.ServiceReport(service: service, bundle: h.bundle.id, revision: h.revision, phase: h.phase))
        }
        if reports.count > 1000 { reports.removeFirst(reports.count - 1000) }
        flushReports()
        let every = max(context.heartbeat, askedHeartbeat)
        context.loop.schedule(after: every * Double.random(in: 0.8...1.2)) { [weak self] in self?.beat() }
    }

    private func flushReports() {
        guard !reportInFlight, !reports.isEmpty, !stopped else { return }
        let batch = reports
        let urgent = reportsUrgent
        reports = []
        reportsUrgent = false
        reportInFlight = true
        let started = ContinuousClock.now
        context.pool.send(
            context.reportRequest(path, body: ReportJSON.encode(batch)), timeout: context.requestTimeout, urgent: urgent
        ) {
            [weak self] result, queued in
            guard let self, !self.stopped else { return }
            self.reportInFlight = false
            var ok = false
            switch result {
            case .success(let reply):
                self.context.recorder.response(status: reply.status)
                ok = reply.status / 100 == 2
                if !ok { self.context.recorder.problem("POST report: \(ProblemText.describe(reply))") }
            case .failure(let error):
                self.context.recorder.problem("POST report: \(error)")
            }
            if ok {
                let elapsed = ContinuousClock.now - started
                let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                self.context.recorder.reportSent(items: batch.count, seconds: total - queued, queued: queued)
                self.reportAttempt = 0
                self.flushReports()
                return
            }
            // Kept, oldest first, and sent again after a backoff.
            self.reports = Array((batch + self.reports).suffix(1000))
            self.reportsUrgent = self.reportsUrgent || urgent
            self.reportInFlight = true
            let delay = self.context.backoff(attempt: self.reportAttempt)
            self.reportAttempt += 1
            self.context.loop.schedule(after: delay) { [weak self] in
                guard let self else { return }
                self.reportInFlight = false
                self.flushReports()
            }
        }
    }
}
