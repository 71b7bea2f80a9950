import Foundation
import Testing
import TideCore
import TideTestSupport

/// The real controller's `/metrics`, scraped during a rollout and after an automatic revert, is valid
/// for promtool and tells the truth about the fleet.
@Suite(.serialized) struct MetricsE2ETests {
    @Test func metricsDuringARolloutAndAfterARevert() async throws {
        let fleet = try E2EFleet()
        defer { fleet.stop() }
        try await fleet.start()

        // At rest after the baseline: every server healthy, one succeeded rollout per service, no wave.
        try await eventually("every server reported healthy in /metrics") {
            let m = try await fleet.scrape()
            return m.value("tide_servers", ["service": "web", "phase": "healthy"]) == 7
                && m.value("tide_servers", ["service": "db", "phase": "healthy"]) == 3
        }
        let rest = try await fleet.scrape()
        try rest.checkWithPromtool(in: fleet.dir)
        #expect(rest.value("tide_rollouts", ["service": "web", "state": "succeeded"]) == 1)
        #expect(rest.value("tide_rollouts", ["service": "db", "state": "succeeded"]) == 1)
        #expect(rest.value("tide_rollout_wave", ["service": "web"]) == 0)
        #expect(rest.value("tide_agents_connected") == 10)
        #expect(rest.value("tide_git_fetch_failures_total") == 0)
        #expect(rest.value("tide_head_info", ["branch": "main", "revision": try fleet.work.head()]) == 1)

        // A good change to web: scrape while it rolls out, wave by wave.
        _ = try fleet.work.write("services/web/files/site.conf", "listen 80;\nworkers 8;\nkeepalive 30;\n")
        let good = try fleet.work.commit("web: more workers")
        try fleet.work.push()
        var wavesSeen: [Double] = []
        var during: [MetricsScrape] = []
        try await eventually("the web rollout of \(good.prefix(7)) to finish in /metrics", timeout: .seconds(60), every: .milliseconds(100)) {
            let m = try await fleet.scrape()
            let wave = m.value("tide_rollout_wave", ["service": "web"]) ?? -1
            if wave > 0 {
                if wavesSeen.last != wave { wavesSeen.append(wave) }
                during.append(m)
            }
            return m.value("tide_rollouts", ["service": "web", "state": "succeeded"]) == 2
        }
        // Waves 1 (the canary), 2 and 3 were each visible, in order (each bakes 1s, we scrape every 100ms).
        #expect(wavesSeen == [1, 2, 3])
        let mid = try #require(during.first)
        try mid.checkWithPromtool(in: fleet.dir)
        for m in during {
            #expect(m.value("tide_rollout_waves", ["service": "web"]) == 3)
            #expect(m.sum("tide_servers", where: ["service": "web"]) == 7)
            #expect(m.sum("tide_rollouts", where: ["service": "web"]) == 2)
            let active = m.sum("tide_rollouts", where: ["service": "web"]) - (m.value("tide_rollouts", ["service": "web", "state": "succeeded"]) ?? 0)
            #expect(active == 1)
            #expect(m.value("tide_servers", ["service": "db", "phase": "healthy"]) == 3)
            let planned = m.value("tide_rollout_wave_servers", ["service": "web", "progress": "planned"]) ?? 0
            let released = m.value("tide_rollout_wave_servers", ["service": "web", "progress": "released"]) ?? 0
            #expect(planned == 7)
            #expect(released >= 1 && released <= 7)
        }
        // In the canary wave only web-1 is released.
        if let canary = during.first(where: { $0.value("tide_rollout_wave", ["service": "web"]) == 1 }) {
            #expect(canary.value("tide_rollout_wave_servers", ["service": "web", "progress": "released"]) == 1)
        }
        try await eventually("web healthy at \(good.prefix(7)) in /metrics") {
            let m = try await fleet.scrape()
            return m.value("tide_servers", ["service": "web", "phase": "healthy"]) == 7
                && m.value("tide_revision_info", ["service": "web", "revision": good]) == 1
        }
        let after = try await fleet.scrape()
        #expect(after.value("tide_rollout_wave", ["service": "web"]) == 0)
        #expect(after.series("tide_rollout_wave_servers", where: ["service": "web"]).isEmpty)
        #expect(after.value("tide_head_info", ["branch": "main", "revision": good]) == 1)
        #expect(after.series("tide_head_info").count == 1)
        #expect(after.value("tide_reverts_total", ["service": "web", "result": "pushed"]) ?? 0 == 0)

        // A bad commit: the canary's health check fails, Tide reverts it in Git.
        _ = try fleet.work.write("services/web/files/site.conf", "listen 80;\nworkers 8;\nBROKEN directive;\n")
        let bad = try fleet.work.commit("web: broken")
        try fleet.work.push()
        var revertSHA = ""
        try await eventually("Tide's revert commit on the remote", timeout: .seconds(60)) {
            guard let revert = try fleet.remoteLog().first(where: { $0.message.contains("This reverts commit \(bad).") }) else {
                return false
            }
            revertSHA = revert.sha
            return true
        }
        try await fleet.waitForRollout("web", revision: revertSHA)
        try await eventually("web healthy at the revert in /metrics") {
            let m = try await fleet.scrape()
            return m.value("tide_servers", ["service": "web", "phase": "healthy"]) == 7
                && m.value("tide_revision_info", ["service": "web", "revision": revertSHA]) == 1
                && m.value("tide_head_info", ["branch": "main", "revision": revertSHA]) == 1
        }
        let reverted = try await fleet.scrape()
        try reverted.checkWithPromtool(in: fleet.dir)
        print("metrics after the revert:\n" + reverted.text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.contains("_bucket") }.joined(separator: "\n"))
        #expect(reverted.value("tide_reverts_total", ["service": "web", "result": "pushed"]) == 1)
        #expect(reverted.series("tide_reverts_total", where: ["service": "db"]).allSatisfy { $0.value == 0 })
        #expect(reverted.value("tide_failures_total", ["service": "web", "kind": "failed"]) == 1)
        #expect(reverted.value("tide_rollouts", ["service": "web", "state": "reverted"]) == 1)
        #expect(reverted.value("tide_rollouts", ["service": "web", "state": "succeeded"]) == 3)
        #expect(reverted.value("tide_rollout_wave", ["service": "web"]) == 0)
        #expect(reverted.value("tide_service_held", ["service": "web"]) == 0)
        #expect(reverted.value("tide_servers", ["service": "db", "phase": "healthy"]) == 3)
        #expect(reverted.value("tide_rollouts", ["service": "db", "state": "succeeded"]) == 1)

        // Fetch metrics: polls counted and timed, none failed, the last success is recent.
        let polls = reverted.value("tide_git_fetches_total", ["cause": "poll"]) ?? 0
        #expect(polls >= 5)
        let fetchCount = reverted.value("tide_git_fetch_duration_seconds_count") ?? 0
        #expect(fetchCount >= polls)
        #expect(reverted.value("tide_git_fetch_duration_seconds_bucket", ["le": "+Inf"]) == fetchCount)
        #expect((reverted.value("tide_git_fetch_duration_seconds_sum") ?? -1) > 0)
        #expect(reverted.value("tide_git_fetch_failures_total") == 0)
        let lastFetch = reverted.value("tide_git_last_fetch_success_timestamp_seconds") ?? 0
        #expect(abs(Date().timeIntervalSince1970 - lastFetch) < 30)
        #expect((reverted.value("tide_reconcile_duration_seconds_count") ?? 0) > 0)
        #expect((reverted.value("tide_plan_duration_seconds_count") ?? 0) >= 4)
        #expect(reverted.value("tide_agents_connected") == 10)
        #expect(reverted.sum("tide_http_requests_total", where: ["route": "/metrics", "code": "200"]) >= 3)
        _ = bad
    }
}
