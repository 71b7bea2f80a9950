import Foundation

/// The metric families Tide exports on `GET /metrics`, with typed setters for the controller to call.
/// Thread-safe; share one instance. Label values are bounded sets (service names, phases, route
/// patterns — never raw request paths), so cardinality stays small.
public final class TideMetrics: Sendable {
    /// Why a server counted as a failure in a rollout.
    public enum FailureKind: String, Sendable, CaseIterable {
        /// Apply failed or health failing after its retries.
        case failed
        /// No healthy report within `waveTimeout`.
        case timedOut = "timed_out"
        /// Silent for `offlineAfter` before release: skipped.
        case offline
    }

    /// How an automatic or manual revert ended.
    public enum RevertResult: String, Sendable, CaseIterable {
        /// The revert commit was pushed to the branch.
        case pushed
        /// The revert conflicted; the service was paused.
        case conflict
        /// The push was rejected or failed after its retries; the service was paused.
        case pushFailed = "push_failed"
    }

    /// What made the controller fetch.
    public enum FetchCause: String, Sendable, CaseIterable {
        case poll, webhook, manual, startup
    }

    public let registry: MetricsRegistry

    public let rollouts: MetricGauge
    public let rolloutWave: MetricGauge
    public let rolloutWaves: MetricGauge
    public let rolloutWaveServers: MetricGauge
    public let servers: MetricGauge
    public let failures: MetricCounter
    public let reverts: MetricCounter
    public let serviceHeld: MetricGauge
    public let reconcileDuration: MetricHistogram
    public let planDuration: MetricHistogram
    /// Events (reports, heard times) handled per store transaction.
    public let reportBatchSize: MetricHistogram
    /// Time taken to write one batch of events to the store.
    public let storeWriteDuration: MetricHistogram
    public let gitFetches: MetricCounter
    public let gitFetchDuration: MetricHistogram
    public let gitFetchFailures: MetricCounter
    public let gitLastFetchSuccess: MetricGauge
    public let headInfo: MetricGauge
    public let revisionInfo: MetricGauge
    public let agentsConnected: MetricGauge
    public let blockingQueriesOpen: MetricGauge
    public let httpRequests: MetricCounter
    public let webhooks: MetricCounter
    public let notifications: MetricCounter

    /// Registers every Tide family in `registry`.
    public init(registry: MetricsRegistry = MetricsRegistry()) {
        self.registry = registry
        let r = registry
        rollouts = r.gauge(
            "tide_rollouts", help: "Rollouts known to the controller, by service and state.", labels: ["service", "state"])
        rolloutWave = r.gauge(
            "tide_rollout_wave", help: "Current wave (1-based) of the service's active rollout; 0 when none is active.",
            labels: ["service"])
        rolloutWaves = r.gauge(
            "tide_rollout_waves", help: "Number of waves planned for the service's active rollout.", labels: ["service"])
        rolloutWaveServers = r.gauge(
            "tide_rollout_wave_servers",
            help:
                "Servers of the active rollout up to the current wave, by progress (planned, released, healthy, failed).",
            labels: ["service", "progress"])
        servers = r.gauge(
            "tide_servers", help: "Servers selected by the service, by their last reported phase.",
            labels: ["service", "phase"])
        failures = r.counter(
            "tide_failures_total",
            help: "Servers counted as failed in a rollout, by kind (failed, timed_out, offline).",
            labels: ["service", "kind"])
        reverts = r.counter(
            "tide_reverts_total", help: "Reverts of a service's commits, by result (pushed, conflict, push_failed).",
            labels: ["service", "result"])
        serviceHeld = r.gauge(
            "tide_service_held",
            help: "1 when the service is held at its last good revision (invalid config or a failed revert), else 0.",
            labels: ["service"])
        reconcileDuration = r.histogram(
            "tide_reconcile_duration_seconds", help: "Time taken by one pass of the reconcile loop.")
        planDuration = r.histogram(
            "tide_plan_duration_seconds", help: "Time taken to compute the bundles and waves of a new revision.")
        reportBatchSize = r.histogram(
            "tide_event_batch_size", help: "Agent reports and heard times handled per store transaction.",
            buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500])
        storeWriteDuration = r.histogram(
            "tide_store_write_duration_seconds", help: "Time taken to write one event batch to the state store.",
            buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1])
        gitFetches = r.counter(
            "tide_git_fetches_total", help: "Fetches of the config repository, by cause (poll, webhook, manual, startup).",
            labels: ["cause"])
        gitFetchDuration = r.histogram(
            "tide_git_fetch_duration_seconds", help: "Time taken to fetch the config repository.",
            buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])
        gitFetchFailures = r.counter(
            "tide_git_fetch_failures_total", help: "Fetches of the config repository that failed.")
        gitLastFetchSuccess = r.gauge(
            "tide_git_last_fetch_success_timestamp_seconds",
            help: "Unix time of the last successful fetch of the config repository.")
        headInfo = r.gauge(
            "tide_head_info", help: "The head revision last seen on the watched branch (value is always 1).",
            labels: ["branch", "revision"])
        revisionInfo = r.gauge(
            "tide_revision_info", help: "The revision each service runs fleet-wide, its last good one (value is always 1).",
            labels: ["service", "revision"])
        agentsConnected = r.gauge(
            "tide_agents_connected", help: "Agents that reported or polled within their offline window.")
        blockingQueriesOpen = r.gauge(
            "tide_blocking_queries_open", help: "Agent blocking queries currently held open.")
        httpRequests = r.counter(
            "tide_http_requests_total", help: "HTTP requests answered, by route pattern and status code.",
            labels: ["route", "code"])
        webhooks = r.counter(
            "tide_webhooks_total", help: "Forge webhook calls, by forge and decision (fetch, ignore, reject, malformed).",
            labels: ["forge", "decision"])
        notifications = r.counter(
            "tide_notifications_total", help: "Notification deliveries, by result (sent, failed, dropped).",
            labels: ["result"])
        gitFetchFailures.touch()
        agentsConnected.set([], 0)
        blockingQueriesOpen.set([], 0)
    }

    /// The text for `GET /metrics`; serve it with `MetricsRegistry.contentType`.
    public func render() -> String { registry.render() }

    /// Sets how many rollouts of `service` are in each state; states absent from `byState` are removed.
    public func setRollouts(service: String, byState: [String: Int]) {
        rollouts.replace(prefix: [service], with: Dictionary(uniqueKeysWithValues: byState.map { ([$0.key], Double($0.value)) }))
    }

    /// Sets the progress of the service's active rollout.
    public func setRolloutProgress(
        service: String, wave: Int, waves: Int, planned: Int, released: Int, healthy: Int, failed: Int
    ) {
        rolloutWave.set([service], Double(wave))
        rolloutWaves.set([service], Double(waves))
        rolloutWaveServers.replace(
            prefix: [service],
            with: [
                ["planned"]: Double(planned), ["released"]: Double(released), ["healthy"]: Double(healthy),
                ["failed"]: Double(failed),
            ])
    }

    /// Marks the service as having no active rollout: wave 0, no progress series.
    public func clearRolloutProgress(service: String) {
        rolloutWave.set([service], 0)
        rolloutWaves.set([service], 0)
        rolloutWaveServers.removeAll(prefix: [service])
    }

    /// Sets how many servers of `service` are in each phase; phases absent from `byPhase` are removed.
    public func setServers(service: String, byPhase: [String: Int]) {
        servers.replace(prefix: [service], with: Dictionary(uniqueKeysWithValues: byPhase.map { ([$0.key], Double($0.value)) }))
    }

    /// Counts servers that failed in a rollout of `service`.
    public func recordFailure(service: String, kind: FailureKind, count: Int = 1) {
        failures.inc([service, kind.rawValue], by: Double(count))
    }

    /// Counts one revert of `service`'s commits.
    public func recordRevert(service: String, result: RevertResult) {
        reverts.inc([service, result.rawValue])
    }

    /// Records one fetch: its duration, and on success the time it finished.
    public func recordFetch(cause: FetchCause, duration: Duration, succeeded: Bool, at time: Date = Date()) {
        gitFetches.inc([cause.rawValue])
        gitFetchDuration.observe(duration)
        if succeeded {
            gitLastFetchSuccess.set([], time.timeIntervalSince1970)
        } else {
            gitFetchFailures.inc()
        }
    }

    /// Sets the head revision seen on `branch` (the old revision's series is removed).
    public func setHead(branch: String, revision: String) {
        headInfo.replace(prefix: [branch], with: [[revision]: 1])
    }

    /// Sets the revision `service` runs (the old revision's series is removed).
    public func setRevision(service: String, revision: String) {
        revisionInfo.replace(prefix: [service], with: [[revision]: 1])
    }

    /// Counts one HTTP request; `route` is the route pattern (`/v1/agents/{server}/desired`), not the path.
    public func recordRequest(route: String, code: Int) {
        httpRequests.inc([route, String(code)])
    }
}
