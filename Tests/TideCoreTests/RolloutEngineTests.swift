import Foundation
import Testing

@testable import TideCore

typealias F = RolloutFixture

@Suite struct RolloutEngineTests {
    @Test(arguments: [
        (3, [WaveSize.percent(1), .percent(50), .percent(100)], [1, 2, 3]),
        (10, RolloutPolicy.defaultRollout.waves, [1, 5, 10]),
        (7, [.count(2)], [2, 7]),
        (4, [.percent(30)], [2, 4]),
    ])
    func wavesAreCumulativeAndRoundedUp(servers: Int, waves: [WaveSize], cumulative: [Int]) {
        var f = F(servers)
        var seen: [Int] = []
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(waves: waves, bake: 0)))
        for _ in 0..<10 {
            seen.append(f.rollout.released)
            f.waveHealthy()
            if f.rollout.state == .succeeded { break }
        }
        #expect(seen == cumulative)
        #expect(f.rollout.state == .succeeded)
    }

    @Test func threeServersOneFailureInFirstWaveBreachesTenPercent() {
        var f = F(3)
        let first = f.start(f.revision("r1", bundle: "B1", policy: F.policy(maxFailures: .percent(10))))
        #expect(F.released(first).count == 1)
        let canary = F.released(first)[0]
        let out = f.report(canary, .failed)
        #expect(f.rollout.breached)
        #expect(f.rollout.state == .reverting)
        let revert = F.reverts(out)
        #expect(revert.count == 1)
        #expect(revert.first?.wave == 1)
        #expect(revert.first?.failures.map(\.server) == [canary])
        // Nothing more, ever.
        f.advance(seconds: 3600)
        f.command(.promote)
        f.command(.resume)
        #expect(F.released(f.log).count == 1)
    }

    @Test func waveIsVerifiedOnlyWhenEveryReleasedServerIsHealthy() {
        var f = F(4)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(waves: [.count(1), .percent(100)], bake: 60)))
        f.waveHealthy()
        f.advance(seconds: 60)
        #expect(f.rollout.wave == 1)
        let wave2 = f.rollout.members.filter { $0.wave == 1 }.map(\.server)
        f.report(wave2[0], .healthy)
        f.report(wave2[1], .applied)
        #expect(f.rollout.state == .verifying)
        f.report(wave2[1], .healthy)
        #expect(f.rollout.state == .verifying)
        f.report(wave2[2], .healthy)
        #expect(f.rollout.state == .baking)
    }

    @Test func bakeStartsAtVerificationAndUnhealthyDuringBakeIsAFailure() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(bake: 60, maxFailures: .count(0), onFailure: .pause)))
        f.advance(seconds: 10)
        f.waveHealthy()
        #expect(f.rollout.state == .baking)
        #expect(f.rollout.bakeUntil == f.now + 60_000)
        f.advance(seconds: 30)
        #expect(f.rollout.wave == 0)
        let canary = f.rollout.members[0].server
        f.report(canary, .unhealthy)
        #expect(f.rollout.failed == 1)
        #expect(f.rollout.breached)
        #expect(f.rollout.displayState == .paused)
        #expect(F.reverts(f.log).isEmpty)
        f.advance(seconds: 120)
        #expect(F.released(f.log).count == 1)
    }

    @Test func bakeEndsOnTickAndTheNextWaveIsReleased() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(bake: 60)))
        f.waveHealthy()
        #expect(F.released(f.advance(seconds: 59)).isEmpty)
        let out = f.advance(seconds: 1)
        #expect(F.released(out).count == 1)
        #expect(F.notices(out).contains(.waveDone))
    }

    @Test func noHealthyReportWithinTimeoutIsATimedOutFailure() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(timeout: 300, maxFailures: .count(1))))
        let canary = f.rollout.members[0].server
        f.report(canary, .applying)
        f.advance(seconds: 299)
        #expect(f.rollout.members[0].status == .released)
        f.advance(seconds: 1)
        #expect(f.rollout.members[0].status == .timedOut)
        #expect(f.rollout.timedOut == 1)
        #expect(f.rollout.failed == 0)
        #expect(!f.rollout.breached)
        // A late healthy report does not undo the count.
        f.report(canary, .healthy)
        #expect(f.rollout.timedOut == 1 && f.rollout.healthy == 0)
    }

    @Test func aServerSilentAfterReleaseFailsWhenItsWaveTimesOut() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(timeout: 60)))
        // It went silent: no poll, no report.
        let out = f.advance(seconds: 61)
        #expect(f.rollout.members[0].status == .timedOut)
        #expect(F.reverts(out).first?.failures.first?.reason.contains("no healthy report") == true)
    }

    @Test func aServerIsCountedOncePerRollout() {
        var f = F(10)
        f.start(
            f.revision(
                "r1", bundle: "B1", policy: F.policy(waves: [.percent(100)], timeout: 60, maxFailures: .count(5))))
        f.report("s1", .unhealthy)
        f.report("s1", .failed)
        f.report("s1", .healthy)
        f.report("s1", .unhealthy)
        f.advance(seconds: 61)
        #expect(f.rollout.failed == 1)
        #expect(f.rollout.timedOut == 9)
    }

    @Test(arguments: [
        (FailureThreshold.percent(5), 10, 1, true),
        (.percent(10), 10, 1, false),
        (.percent(10), 10, 2, true),
        (.percent(10), 1, 1, true),
        (.count(1), 10, 1, false),
        (.count(1), 10, 2, true),
        (.count(0), 3, 1, true),
    ])
    func breachIsMoreFailuresThanAllowedRoundedDown(
        threshold: FailureThreshold, released: Int, failures: Int, breached: Bool
    ) {
        var f = F(released)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(waves: [.percent(100)], maxFailures: threshold)))
        for s in f.servers.prefix(failures) { f.report(s, .failed) }
        #expect(f.rollout.breached == breached)
        #expect(F.reverts(f.log).count == (breached ? 1 : 0))
    }

    @Test func promoteSkipsTheRemainingBakeOfTheCurrentWaveOnly() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(bake: 600)))
        f.waveHealthy()
        let out = f.command(.promote)
        #expect(F.released(out).count == 1)
        f.waveHealthy()
        #expect(f.rollout.state == .baking)
        #expect(f.rollout.bakeUntil == f.now + 600_000)
        #expect(F.released(f.advance(seconds: 599)).isEmpty)
    }

    @Test func promoteWhileVerifyingSkipsThatWavesBake() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(bake: 600)))
        f.command(.promote)
        let out = f.waveHealthy()
        #expect(F.released(out).count == 1)
    }

    @Test func pauseStopsReleasingButKeepsCountingFailures() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(bake: 0, maxFailures: .count(0))))
        f.command(.pause)
        #expect(f.rollout.displayState == .paused)
        f.waveHealthy()
        f.advance(seconds: 3600)
        #expect(F.released(f.log).count == 1)
        f.report(f.rollout.members[0].server, .unhealthy)
        #expect(f.rollout.breached)
        #expect(F.reverts(f.log).count == 1)
    }

    @Test func resumeReleasesTheNextWave() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(bake: 0)))
        f.command(.pause)
        f.waveHealthy()
        let out = f.command(.resume)
        #expect(F.released(out).count == 1)
    }

    @Test func abortSendsReleasedServersBackToLastGood() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(bake: 0)))
        f.waveHealthy()
        let out = f.command(.abort)
        #expect(F.sentBack(out).count == 2)
        #expect(f.engine.currentRollout(service: "web")?.state == .aborted)
        for s in f.servers { #expect(f.engine.target(service: "web", server: s) == "B0") }
        // Terminal: nothing changes any more.
        let before = f.engine.currentRollout(service: "web")
        f.waveHealthy2()
        f.advance(seconds: 1000)
        #expect(f.engine.currentRollout(service: "web") == before)
    }

    @Test func secondRevisionWhileBakingInWaveTwoStartsOverWithFreshCounts() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(bake: 60, maxFailures: .count(0))))
        f.waveHealthy()
        f.advance(seconds: 60)
        f.waveHealthy()
        #expect(f.rollout.wave == 1 && f.rollout.state == .baking)
        let firstID = f.rollout.id
        let out = f.start(f.revision("r2", bundle: "B2", policy: F.policy(bake: 60, maxFailures: .count(0))))
        #expect(F.notices(out).contains(.superseded))
        #expect(f.rollout.id != firstID)
        #expect(f.rollout.wave == 0)
        #expect(f.rollout.members.count == 3)
        #expect(f.rollout.released == 1 && f.rollout.healthy == 0 && f.rollout.failures == 0)
        #expect(f.engine.rollout(id: firstID)?.state == .superseded)
        // Reports about the first revision's bundle count nowhere.
        for s in f.servers { f.report(s, .failed, bundle: "B1") }
        #expect(f.rollout.failures == 0)
        #expect(!f.rollout.breached)
        #expect(f.engine.rollout(id: firstID)?.failures == 0)
    }

    @Test func newRevisionCoversOnlyServersWhoseBundleDiffers() {
        var f = F(4)
        var rev = f.revision("r1", bundle: "B1", policy: F.policy())
        rev.placements[3].bundle = "B0"
        f.start(rev)
        #expect(f.rollout.members.count == 3)
        #expect(f.rollout.member("s3") == nil)
    }

    @Test func lateReportsForAnOlderBundleAreIgnored() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy()))
        let canary = f.rollout.members[0].server
        f.report(canary, .failed, bundle: "B0")
        f.report(canary, .failed, bundle: "Bx")
        #expect(f.rollout.failures == 0)
        f.report(canary, .healthy, bundle: "B1")
        #expect(f.rollout.healthy == 1)
    }

    @Test func anOfflineServerIsSkippedNotFailedAndCatchesUpWhenItReturns() {
        var f = F(3)
        f.now += 120_000
        f.poll(["s0", "s1"])  // s2 silent for 2m
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(waves: [.percent(100)], bake: 0)))
        #expect(f.rollout.member("s2")?.status == .offline)
        #expect(f.rollout.offline == 1 && f.rollout.failures == 0 && f.rollout.released == 2)
        f.report("s0", .healthy)
        f.report("s1", .healthy)
        #expect(f.rollout.state == .succeeded)
        #expect(f.engine.target(service: "web", server: "s2") == "B0")
        let back = f.send(.heard(server: "s2", at: f.now))
        #expect(F.released(back) == ["s2"])
        #expect(f.engine.target(service: "web", server: "s2") == "B1")
        let summary = RolloutSummary(f.rollout)
        #expect(summary.offline == 1 && summary.failed == 0 && summary.timedOut == 0)
    }

    @Test func offlineServerWithAnUnverifiedBundleGoesBackToLastGood() {
        var f = F(2)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(waves: [.percent(100)])))
        f.now += 120_000
        f.poll(["s0"])
        let out = f.start(f.revision("r2", bundle: "B2", policy: F.policy(waves: [.percent(100)])))
        #expect(f.rollout.member("s1")?.status == .offline)
        #expect(F.sentBack(out) == ["s1"])
        #expect(f.engine.target(service: "web", server: "s1") == "B0")
    }

    @Test func summaryKeepsFailedTimedOutAndOfflineApart() {
        var f = F(6)
        f.now += 120_000
        f.poll(["s0", "s1", "s2", "s3", "s4"])
        f.start(
            f.revision(
                "r1", bundle: "B1", policy: F.policy(waves: [.percent(100)], timeout: 60, maxFailures: .count(5))))
        f.report("s0", .healthy)
        f.report("s1", .failed)
        f.report("s2", .unhealthy)
        f.advance(seconds: 61)
        let s = RolloutSummary(f.rollout)
        #expect(s.healthy == 1)
        #expect(s.failed == 2)
        #expect(s.timedOut == 2)
        #expect(s.offline == 1)
        #expect(s.released == 5)
        #expect(s.lines.first { $0.server == "s5" }?.status == .offline)
    }

    @Test func revertPushedEndsReverted() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy()))
        f.report(f.rollout.members[0].server, .failed)
        let id = f.rollout.id
        let out = f.send(.revertOutcome(service: "web", rollout: id, .pushed(head: "abc"), at: f.now))
        #expect(F.notices(out) == [.reverted])
        #expect(f.rollout.state == .reverted)
        // The revert commit arrives as a revision and rolls out; it gives the servers the last good bundle.
        let rev = f.revision("rv", bundle: "B0", policy: .defaultRollback, kind: .tideRevert)
        let rollback = f.start(rev)
        #expect(F.released(rollback) == [f.rollout.members[0].server])
    }

    @Test(arguments: [
        RolloutEvent.RevertOutcome.conflicted(detail: "services/web/files/a.conf"),
        .pushFailed(detail: "rejected"),
    ])
    func revertThatCannotBeMadeHoldsAndSendsBack(outcome: RolloutEvent.RevertOutcome) {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy()))
        let canary = f.rollout.members[0].server
        f.report(canary, .failed)
        let out = f.send(.revertOutcome(service: "web", rollout: f.rollout.id, outcome, at: f.now))
        #expect(F.sentBack(out) == [canary])
        #expect(F.holds(out).count == 1)
        #expect(F.holds(out)[0].contains("a person must act"))
        #expect(f.rollout.state == .held)
        #expect(f.engine.hold(service: "web")?.cause == .revertFailed)
        #expect(F.reverts(f.log).count == 1)
    }

    @Test(arguments: [NewRevision.Kind.tideRevert, .manualRevert])
    func revertRolloutThatBreachesHoldsAndNeverRevertsAgain(kind: NewRevision.Kind) {
        var f = F(3)
        f.start(f.revision("rv", bundle: "B1", lastGood: "B0", policy: .defaultRollback, kind: kind))
        #expect(f.rollout.released == 3)
        f.report("s0", .failed)
        #expect(F.reverts(f.log).isEmpty)
        #expect(f.rollout.state == .held)
        #expect(Set(F.sentBack(f.log)) == Set(f.servers))
        #expect(f.engine.hold(service: "web")?.cause == .revertBreached)
    }

    @Test func onFailurePausePausesAndDoesNotRevert() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(onFailure: .pause)))
        let out = f.report(f.rollout.members[0].server, .failed)
        #expect(F.notices(out) == [.breached, .paused])
        #expect(F.reverts(out).isEmpty && F.sentBack(out).isEmpty)
        f.command(.resume)
        #expect(F.released(f.log).count == 1)
    }

    @Test func quarantinedBundleHoldsTheServiceUntilReleased() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy()))
        f.report(f.rollout.members[0].server, .failed)
        f.send(.revertOutcome(service: "web", rollout: f.rollout.id, .pushed(head: "rv"), at: f.now))
        f.start(f.revision("rv", bundle: "B0", policy: .defaultRollback, kind: .tideRevert))
        f.waveHealthy()
        #expect(f.rollout.state == .succeeded)
        // Someone reverts the revert: the same bad bundle again.
        let out = f.start(f.revision("r3", bundle: "B1", policy: F.policy()))
        #expect(F.released(out).isEmpty)
        #expect(F.holds(out).first?.contains("quarantined") == true)
        #expect(f.engine.hold(service: "web")?.cause == .quarantined)
        // The same revision again is not news.
        #expect(f.start(f.revision("r3", bundle: "B1", policy: F.policy())).isEmpty)
        let released = f.command(.release(revision: "r3"))
        #expect(F.released(released).count == 1)
        #expect(f.engine.hold(service: "web") == nil)
    }

    @Test func tideRetryTrailerReleasesAQuarantinedBundle() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(onFailure: .pause)))
        f.report(f.rollout.members[0].server, .failed)
        let out = f.start(f.revision("r2", bundle: "B1", policy: F.policy(), retry: true))
        #expect(F.holds(out).isEmpty)
        #expect(f.rollout.revision == "r2")
    }

    @Test func invalidConfigHoldsTheService() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(bake: 0)))
        let out = f.send(.invalidConfig(service: "web", revision: "r2", detail: "service.yaml:3: bad", at: f.now))
        #expect(F.holds(out).first?.contains("service.yaml:3") == true)
        f.waveHealthy()
        #expect(F.released(f.log).count == 1)
        // A valid revision clears the hold.
        f.start(f.revision("r3", bundle: "B3", policy: F.policy()))
        #expect(f.engine.hold(service: "web") == nil)
    }

    @Test func succeededRolloutMarksTheRevisionGood() {
        var f = F(3)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy(bake: 0)))
        for _ in 0..<3 { f.waveHealthy() }
        let good = f.log.compactMap { d -> String? in
            if case .markGood(_, let rev, let t) = d, t.count == 3 { return rev }
            return nil
        }
        #expect(good == ["r1"])
    }

    @Test func stateRoundTripsThroughJSON() throws {
        var f = F(5)
        f.start(f.revision("r1", bundle: "B1", policy: F.policy()))
        f.waveHealthy()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(f.engine)
        var copy = try JSONDecoder().decode(RolloutEngine.self, from: data)
        #expect(copy == f.engine)
        #expect(try encoder.encode(copy) == data)
        let a = f.advance(seconds: 60)
        let b = copy.handle(.tick(at: f.now))
        #expect(a == b)
    }
}

extension RolloutFixture {
    /// Every server reports healthy on whatever it holds (used after a rollout ended).
    mutating func waveHealthy2() { for s in servers { report(s, .healthy) } }
}

@Suite struct UnverifiedRolloutTests {
    /// Every server offline: nothing was verified, so the revision is not marked good (it would reach
    /// every server as they come back); the service is held until an operator releases it again.
    @Test func aRolloutThatReachedNoServerIsHeldNotMarkedGood() {
        var f = F(3)
        f.now += 120_000  // nobody heard from for 2m
        let out = f.start(f.revision("r1", bundle: "B1", policy: F.policy(waves: [.percent(100)], bake: 0)))
        f.advance(seconds: 1)
        #expect(f.rollout.state == .held)
        #expect(f.engine.hold(service: "web")?.cause == .unverified)
        #expect(!out.contains { if case .markGood = $0 { return true } else { return false } })
        #expect(f.engine.services["web"]?.lastGoodRevision != "r1")
        // The servers come back: nothing is released behind the operator's back.
        let heard = f.send(.heard(server: "s0", at: f.now))
        #expect(F.released(heard).isEmpty)
        #expect(f.engine.target(service: "web", server: "s0") != "B1")
        // The operator releases it once agents are back: a fresh rollout, canary waves and all.
        f.poll(["s0", "s1", "s2"])
        let released = f.send(.command(service: "web", .release(revision: "r1"), at: f.now))
        #expect(!F.released(released).isEmpty)
        #expect(f.engine.hold(service: "web") == nil)
    }
}
