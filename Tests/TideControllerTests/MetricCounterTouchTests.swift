import Testing

@testable import TideController

@Suite struct MetricCounterTouchTests {
    /// A touched counter is exported at 0 before its first increment (found missing by the E2E scrape).
    @Test func touchedSeriesAreExportedAtZero() {
        let m = TideMetrics()
        let text = m.render()
        #expect(text.contains("\ntide_git_fetch_failures_total 0\n"))
        let counter = m.registry.counter("tide_test_touched_total", help: "Test.", labels: ["kind"])
        counter.touch(["a"])
        counter.touch(["a"])
        #expect(m.render().contains("tide_test_touched_total{kind=\"a\"} 0\n"))
        counter.inc(["a"])
        counter.touch(["a"])
        #expect(counter.value(["a"]) == 1)
    }
}
