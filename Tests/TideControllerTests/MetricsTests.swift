import Foundation
import Testing
import TideTestSupport

@testable import TideController

@Suite struct MetricsTests {
    /// A registry filled the way the controller fills it during a rollout and after a revert.
    static func populated() -> TideMetrics {
        let m = TideMetrics()
        m.setRollouts(service: "web", byState: ["verifying": 1, "succeeded": 3, "reverted": 1])
        m.setRollouts(service: "db", byState: ["succeeded": 2])
        m.setRolloutProgress(service: "web", wave: 2, waves: 4, planned: 4, released: 4, healthy: 3, failed: 1)
        m.clearRolloutProgress(service: "db")
        m.setServers(service: "web", byPhase: ["healthy": 27, "applying": 3, "unhealthy": 1])
        m.setServers(service: "db", byPhase: ["healthy": 4])
        m.recordFailure(service: "web", kind: .failed)
        m.recordFailure(service: "web", kind: .timedOut, count: 2)
        m.recordFailure(service: "web", kind: .offline)
        m.recordRevert(service: "web", result: .pushed)
        m.reconcileDuration.observe(0.003)
        m.reconcileDuration.observe(0.2)
        m.reconcileDuration.observe(42)
        m.planDuration.observe(.milliseconds(12))
        m.recordFetch(cause: .poll, duration: .milliseconds(80), succeeded: true, at: Date(timeIntervalSince1970: 1_800_000_000))
        m.recordFetch(cause: .webhook, duration: .milliseconds(30), succeeded: false)
        m.setHead(branch: "main", revision: "1111111111111111111111111111111111111111")
        m.setHead(branch: "main", revision: "abcdef0123456789abcdef0123456789abcdef01")
        m.setRevision(service: "web", revision: "abcdef0123456789abcdef0123456789abcdef01")
        m.setRevision(service: "db", revision: "0123456789abcdef0123456789abcdef01234567")
        m.agentsConnected.set([], 35)
        m.blockingQueriesOpen.set([], 33)
        m.recordRequest(route: "/v1/agents/{server}/desired", code: 200)
        m.recordRequest(route: "/v1/agents/{server}/desired", code: 200)
        m.recordRequest(route: "/hooks/{forge}", code: 401)
        m.webhooks.inc(["github", "fetch"])
        m.notifications.inc(["sent"])
        m.serviceHeld.set(["web"], 0)
        return m
    }

    @Test(arguments: ["populated", "fresh"])
    func renderedTextPassesPromtool(state: String) throws {
        let text = state == "fresh" ? TideMetrics().render() : Self.populated().render()
        let dir = try TempDirectory("metrics")
        let file = try dir.write("metrics.txt", text)
        let result = try Shell.run("promtool check metrics < \(Shell.quote(file))")
        #expect(result.status == 0, "promtool: \(result.stdout)\(result.stderr)\n\(text)")
        #expect(result.stdout.isEmpty && result.stderr.isEmpty, "promtool lint: \(result.stdout)\(result.stderr)")
    }

    @Test func promtoolCatchesABadName() throws {
        // The check above can fail: promtool's linter flags a counter without `_total`.
        let r = MetricsRegistry()
        r.counter("tide_bad_counter", help: "no _total suffix").inc()
        let dir = try TempDirectory("metrics-bad")
        let file = try dir.write("metrics.txt", r.render())
        let result = try Shell.run("promtool check metrics < \(Shell.quote(file))")
        #expect(result.status != 0 || !(result.stdout + result.stderr).isEmpty)
    }

    @Test func renderedValuesAreThere() {
        let text = Self.populated().render()
        let lines = Set(text.split(separator: "\n").map(String.init))
        let expected = [
            "# TYPE tide_servers gauge",
            #"tide_servers{service="web",phase="healthy"} 27"#,
            #"tide_servers{service="web",phase="unhealthy"} 1"#,
            #"tide_servers{service="db",phase="healthy"} 4"#,
            #"tide_rollouts{service="web",state="verifying"} 1"#,
            #"tide_rollout_wave{service="web"} 2"#,
            #"tide_rollout_wave{service="db"} 0"#,
            #"tide_rollout_wave_servers{service="web",progress="failed"} 1"#,
            "# TYPE tide_reverts_total counter",
            #"tide_reverts_total{service="web",result="pushed"} 1"#,
            #"tide_failures_total{service="web",kind="timed_out"} 2"#,
            #"tide_failures_total{service="web",kind="offline"} 1"#,
            "# TYPE tide_reconcile_duration_seconds histogram",
            #"tide_reconcile_duration_seconds_bucket{le="0.005"} 1"#,
            #"tide_reconcile_duration_seconds_bucket{le="0.25"} 2"#,
            #"tide_reconcile_duration_seconds_bucket{le="10"} 2"#,
            #"tide_reconcile_duration_seconds_bucket{le="+Inf"} 3"#,
            "tide_reconcile_duration_seconds_sum 42.203",
            "tide_reconcile_duration_seconds_count 3",
            "tide_git_fetch_failures_total 1",
            "tide_git_last_fetch_success_timestamp_seconds 1800000000",
            #"tide_head_info{branch="main",revision="abcdef0123456789abcdef0123456789abcdef01"} 1"#,
            #"tide_revision_info{service="web",revision="abcdef0123456789abcdef0123456789abcdef01"} 1"#,
            "tide_agents_connected 35",
            "tide_blocking_queries_open 33",
            #"tide_http_requests_total{route="/v1/agents/{server}/desired",code="200"} 2"#,
            #"tide_git_fetches_total{cause="webhook"} 1"#,
        ]
        for line in expected { #expect(lines.contains(line), "missing: \(line)") }
        // The old head's series is gone; the finished rollout of db has no progress series.
        #expect(!text.contains("1111111111111111111111111111111111111111"))
        #expect(!text.contains(#"tide_rollout_wave_servers{service="db""#))
    }

    @Test func snapshotGaugesDropStaleSeries() {
        let m = TideMetrics()
        m.setServers(service: "web", byPhase: ["applying": 5])
        m.setServers(service: "web", byPhase: ["healthy": 5])
        #expect(m.servers.value(["web", "healthy"]) == 5)
        #expect(m.servers.value(["web", "applying"]) == nil)
    }

    @Test func escapesLabelValuesAndHelp() {
        let r = MetricsRegistry()
        let g = r.gauge("x_info", help: "line one\nback\\slash", labels: ["v"])
        g.set(["a\"b\\c\nd"], 1)
        let text = r.render()
        #expect(text.contains(#"# HELP x_info line one\nback\\slash"#))
        #expect(text.contains(#"x_info{v="a\"b\\c\nd"} 1"#))
    }

    @Test func numbersAndHistogramShape() {
        #expect(MetricText.number(1) == "1")
        #expect(MetricText.number(0.25) == "0.25")
        #expect(MetricText.number(.infinity) == "+Inf")
        #expect(MetricText.number(.nan) == "NaN")
        let r = MetricsRegistry()
        let h = r.histogram("job_seconds", help: "h", labels: ["svc"], buckets: [1, 2])
        h.observe(1, ["a"])  // le is inclusive
        h.observe(3, ["a"])
        let text = r.render()
        #expect(text.contains(#"job_seconds_bucket{svc="a",le="1"} 1"#))
        #expect(text.contains(#"job_seconds_bucket{svc="a",le="2"} 1"#))
        #expect(text.contains(#"job_seconds_bucket{svc="a",le="+Inf"} 2"#))
        #expect(text.contains(#"job_seconds_sum{svc="a"} 4"#))
        #expect(text.contains(#"job_seconds_count{svc="a"} 2"#))
    }

    @Test func registeringTwiceReturnsTheSameFamily() {
        let r = MetricsRegistry()
        let a = r.counter("a_total", help: "a", labels: ["x"])
        let b = r.counter("a_total", help: "a", labels: ["x"])
        a.inc(["1"])
        #expect(b.value(["1"]) == 1)
        #expect(r.render().components(separatedBy: "# TYPE a_total").count == 2)
    }

    @Test func concurrentUpdatesAreAllCounted() async {
        let m = TideMetrics()
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask {
                    for _ in 0..<1000 {
                        m.recordRequest(route: "/r\(i % 2)", code: 200)
                        m.reconcileDuration.observe(0.01)
                    }
                }
            }
        }
        #expect(m.httpRequests.value(["/r0", "200"]) + m.httpRequests.value(["/r1", "200"]) == 8000)
        #expect(m.reconcileDuration.count() == 8000)
    }
}
