import TideCore

extension Reconciler {
    /// Brings the rollout, server and hold gauges up to date with the engine and the agents' reports
    /// (servers by phase too, unless `phases` is false: the clock counts them within a second).
    func updateMetrics(phases: Bool = true) {
        var connected = 0
        let now = Self.now()
        for (_, at) in engine.lastHeard where now - at < 60_000 { connected += 1 }
        metrics.agentsConnected.set([], Double(connected))
        metrics.blockingQueriesOpen.set([], Double(board.openQueries))
        for (name, service) in engine.services {
            var byState: [String: Int] = [:]
            for r in service.history { byState[r.displayState.rawValue, default: 0] += 1 }
            if let r = service.current {
                byState[r.displayState.rawValue, default: 0] += 1
                recordNewFailures(r)
                if r.state.isTerminal {
                    metrics.clearRolloutProgress(service: name)
                } else {
                    metrics.setRolloutProgress(
                        service: name, wave: r.wave + 1, waves: r.waveEnds.count, planned: r.members.count,
                        released: r.released, healthy: r.healthy, failed: r.failed + r.timedOut)
                }
            } else {
                metrics.clearRolloutProgress(service: name)
            }
            metrics.setRollouts(service: name, byState: byState)
            metrics.serviceHeld.set([name], service.hold == nil ? 0 : 1)
        }
        if phases { updateServerPhases(now: now) }
    }

    /// Servers by phase per service: a walk over every server of every service (60,000 entries at 10,000
    /// servers), so done only when a phase or target changed, and at most once a second.
    func updateServerPhases(now: Int64) {
        guard phasesDirty, now - phasesCountedAt >= 1_000 else { return }
        phasesDirty = false
        phasesCountedAt = now
        for (name, service) in engine.services {
            var byPhase: [String: Int] = [:]
            for (server, target) in service.targets {
                let phase = observed[server]?[name].flatMap { $0.bundle == target ? $0.phase : "pending" } ?? "unknown"
                byPhase[phase, default: 0] += 1
            }
            metrics.setServers(service: name, byPhase: byPhase)
        }
    }

    /// Counts failures, time-outs and offline servers once per rollout as they appear.
    func recordNewFailures(_ r: Rollout) {
        let seen = failureCounts[r.id] ?? (0, 0, 0)
        if r.failed > seen.failed { metrics.recordFailure(service: r.service, kind: .failed, count: r.failed - seen.failed) }
        if r.timedOut > seen.timedOut {
            metrics.recordFailure(service: r.service, kind: .timedOut, count: r.timedOut - seen.timedOut)
        }
        if r.offline > seen.offline { metrics.recordFailure(service: r.service, kind: .offline, count: r.offline - seen.offline) }
        failureCounts[r.id] = (max(seen.failed, r.failed), max(seen.timedOut, r.timedOut), max(seen.offline, r.offline))
    }
}
