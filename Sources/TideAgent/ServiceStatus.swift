import TideCore

/// What the agent last knew and said about one service on this server.
struct ServiceStatus {
    var bundle: TideCore.Bundle
    var revision: String?
    var phase: AgentProtocol.Phase
    var detail: String?
    /// When the next health check is due; nil when there is no health check to run.
    var nextHealth: ContinuousClock.Instant?
    /// Consecutive failed health checks.
    var failures = 0

    var report: AgentProtocol.ServiceReport {
        AgentProtocol.ServiceReport(service: bundle.service, bundle: bundle.id, revision: revision, phase: phase, detail: detail)
    }
}
