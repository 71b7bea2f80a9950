import Testing
import TideController
import TideCore

@Suite struct RolloutWatchTests {
    typealias F = OperatorFixture

    @Test func progressLineReadsLikeTheBrief() {
        #expect(
            RolloutWatch.progressLine(F.rollout())
                == "web  #12  wave 2/4  released 5/18  healthy 4  failed 0  timed-out 0  offline 0  verifying")
    }

    @Test func printsOnlyWhenProgressChanges() {
        let old = F.rollout(id: "3", state: "succeeded", startedAt: F.now - 900_000, endedAt: F.now - 800_000)
        let active = F.rollout(id: "12")
        var watch = RolloutWatch(service: nil, rollouts: [active, old], status: F.status(services: [F.service("web")]))
        #expect(watch.activeIDs == ["12"])
        let first = watch.observe(rollouts: [active, old], status: nil)
        #expect(first == [RolloutWatch.progressLine(active)])
        #expect(watch.observe(rollouts: [active, old], status: nil).isEmpty)
        #expect(watch.observe(rollouts: [active, old], status: nil).isEmpty)
        #expect(watch.outcome == .running)
        let moved = F.rollout(id: "12", released: 6)
        #expect(watch.observe(rollouts: [moved, old], status: nil) == [RolloutWatch.progressLine(moved)])
        #expect(watch.changed.map(\.id) == ["12"])
        let done = F.rollout(id: "12", state: "succeeded", wave: 4, released: 18, healthy: 18, endedAt: F.now)
        let lines = watch.observe(rollouts: [done, old], status: nil)
        #expect(lines == [RolloutWatch.progressLine(done), "web #12 succeeded: 18/18 healthy"])
        #expect(watch.outcome == .succeeded)
        // The old, finished rollout is history: never followed.
        #expect(watch.rollouts.map(\.id) == ["12"])
    }

    @Test func followsRolloutsThatStartAfterTheWatch() {
        let old = F.rollout(id: "3", state: "succeeded", endedAt: F.now - 800_000)
        var watch = RolloutWatch(service: "web", rollouts: [old], status: nil)
        #expect(watch.observe(rollouts: [old], status: nil).isEmpty)
        #expect(watch.outcome == .waiting)
        // Another service's new rollout is not followed with --service web.
        let other = F.rollout(id: "4", service: "db", state: "pending", wave: 0, released: 0)
        #expect(watch.observe(rollouts: [other, old], status: nil).isEmpty)
        #expect(watch.outcome == .waiting)
        let fresh = F.rollout(id: "5", state: "pending", wave: 0, released: 0, healthy: 0)
        #expect(watch.follows(fresh))
        #expect(watch.observe(rollouts: [fresh, other, old], status: nil) == [RolloutWatch.progressLine(fresh)])
        #expect(watch.outcome == .running)
        // A rollout that started and ended between two polls is still followed and judged.
        var quick = RolloutWatch(service: nil, rollouts: [old], status: nil)
        let ended = F.rollout(id: "6", state: "aborted", endedAt: F.now)
        let lines = quick.observe(rollouts: [ended, old], status: nil)
        #expect(lines.contains("!! web #6 ABORTED"))
        #expect(quick.outcome == .failed)
    }

    @Test func breachRevertAndHoldAreLoudAndFail() {
        var watch = RolloutWatch(service: nil, rollouts: [], status: nil)
        let start = F.rollout(id: "12", state: "verifying", wave: 1)
        _ = watch.observe(rollouts: [start], status: nil)
        let breached = F.rollout(
            id: "12", state: "failed", breached: true, wave: 1, released: 2, healthy: 0, failed: 1, timedOut: 1,
            lines: [("web-01", 1, "failed", "health check exited 1"), ("web-02", 1, "timedOut", "no report in 30s")])
        let lines = watch.observe(rollouts: [breached], status: nil)
        #expect(lines[0] == RolloutWatch.progressLine(breached))
        #expect(lines.contains { $0.hasPrefix("!! web #12 BREACHED in wave 1/4: 1 failed, 1 timed out of 2 released") })
        #expect(lines.contains("!!   web-01  failed  health check exited 1"))
        #expect(lines.contains("!!   web-02  timed-out  no report in 30s"))
        #expect(lines.contains("!! web #12 FAILED in wave 1/4"))
        #expect(watch.outcome == .running)
        // The breach is said once, even when the counts move on.
        let reverted = F.rollout(id: "12", state: "reverted", breached: true, wave: 1, released: 2, failed: 1, timedOut: 1)
        let after = watch.observe(rollouts: [reverted], status: nil)
        #expect(!after.contains { $0.contains("BREACHED") })
        #expect(after.contains("!! web #12 REVERTED: abcdef0 was reverted in Git"))
        #expect(watch.outcome == .failed)
        #expect(watch.awaitsRevert)
        // The revert's own rollout shows up: followed; the watch still fails because the first was reverted.
        let revert = F.rollout(id: "13", revision: "feedface00", kind: "tideRevert", state: "succeeded", startedAt: F.now)
        _ = watch.observe(rollouts: [revert, reverted], status: nil)
        #expect(!watch.awaitsRevert)
        #expect(watch.outcome == .failed)
        #expect(watch.summaryLines == ["web #12 abcdef0 (change): REVERTED", "web #13 feedfac (tide-revert): succeeded"])
    }

    @Test func aServiceNewlyHeldFailsTheWatch() {
        let heldBefore = F.service("db", held: "held since yesterday")
        var watch = RolloutWatch(service: nil, rollouts: [], status: F.status(services: [F.service("web"), heldBefore]))
        // A hold that was already there when the watch started is not news.
        #expect(watch.observe(rollouts: [], status: F.status(services: [F.service("web"), heldBefore])).isEmpty)
        #expect(watch.outcome == .waiting)
        let now = F.status(services: [F.service("web", held: "bundle of abc failed in rollout 9"), heldBefore])
        let lines = watch.observe(rollouts: [], status: now)
        #expect(lines.first == "!! web is HELD: bundle of abc failed in rollout 9")
        #expect(watch.outcome == .failed)
        #expect(watch.observe(rollouts: [], status: now).isEmpty)
    }

    @Test func pauseAndResumeAreSaid() {
        var watch = RolloutWatch(service: nil, rollouts: [F.rollout()], status: nil)
        _ = watch.observe(rollouts: [F.rollout()], status: nil)
        let paused = watch.observe(rollouts: [F.rollout(state: "paused")], status: nil)
        #expect(paused.contains("-- web #12 PAUSED: nothing more is released until `tide resume 12`"))
        #expect(watch.outcome == .running)
        let resumed = watch.observe(rollouts: [F.rollout(state: "baking")], status: nil)
        #expect(resumed.contains("-- web #12 resumed"))
    }
}
