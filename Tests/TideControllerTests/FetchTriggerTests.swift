import Foundation
import Synchronization
import Testing
import TideTestSupport

@testable import TideController

@Suite struct FetchTriggerTests {
    /// Counts fetches and whether two ever overlapped.
    final class FetchLog: Sendable {
        let state = Mutex<(started: Int, finished: Int, running: Int, maxRunning: Int)>((0, 0, 0, 0))
        func begin() { state.withLock { $0.started += 1; $0.running += 1; $0.maxRunning = max($0.maxRunning, $0.running) } }
        func end() { state.withLock { $0.finished += 1; $0.running -= 1 } }
        var snapshot: (started: Int, finished: Int, running: Int, maxRunning: Int) { state.withLock { $0 } }
    }

    @Test func burstOfFiftyWebhooksInASecondCausesOneOrTwoFetches() async throws {
        let trigger = FetchTrigger()
        let log = FetchLog()
        let burstDone = Mutex(false)
        let runner = Task {
            await trigger.run { _ in
                log.begin()
                // A fetch slower than the burst, whatever the machine's load: the first one lasts until
                // the burst is over (bounded: 10 s at most).
                for _ in 0..<1000 where !burstDone.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
                log.end()
            }
        }
        defer { runner.cancel() }
        let clock = ContinuousClock()
        var slowest = Duration.zero
        for _ in 0..<50 {
            let t0 = clock.now
            trigger.trigger(.webhook)
            slowest = max(slowest, clock.now - t0)
            try await Task.sleep(for: .milliseconds(20))  // 50 pushes over about a second
        }
        burstDone.withLock { $0 = true }
        #expect(slowest < .milliseconds(50), "trigger() must return at once; slowest took \(slowest)")
        // finish() lets run() drain what is pending and return: the count below is final.
        trigger.finish()
        await runner.value
        let s = log.snapshot
        #expect((1...2).contains(s.started), "50 triggers caused \(s.started) fetches")
        #expect(s.maxRunning == 1, "fetches overlapped")
        #expect(trigger.stats.triggers == 50)
    }

    @Test func aTriggerDuringAFetchIsNeverLost() async throws {
        let trigger = FetchTrigger()
        let log = FetchLog()
        let gate = Mutex(false)
        let runner = Task {
            await trigger.run { _ in
                log.begin()
                // The first fetch waits until the test has triggered again during it.
                for _ in 0..<400 where !gate.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
                log.end()
            }
        }
        defer { runner.cancel() }
        trigger.trigger(.webhook)
        try await pollUntil(timeout: .seconds(5), "first fetch to start") { log.snapshot.started == 1 }
        trigger.trigger(.webhook)  // arrives while fetch 1 runs: the new commit must be fetched after it
        gate.withLock { $0 = true }
        try await pollUntil(timeout: .seconds(5), "second fetch") { log.snapshot.finished == 2 }
        // Idle again: a later trigger starts a fetch of its own.
        trigger.trigger(.manual)
        try await pollUntil(timeout: .seconds(5), "third fetch") { log.snapshot.finished == 3 }
        #expect(log.snapshot.maxRunning == 1)
    }

    @Test func pollIntervalTriggersAndFinishEndsRun() async throws {
        let trigger = FetchTrigger()
        let causes = Mutex<[TideMetrics.FetchCause]>([])
        let runner = Task { await trigger.run(pollEvery: .milliseconds(50)) { cause in causes.withLock { $0.append(cause) } } }
        try await pollUntil(timeout: .seconds(5), "two polls") { causes.withLock { $0.filter { $0 == .poll }.count } >= 2 }
        trigger.finish()
        await runner.value  // returns: finish ends the loop and the poll task
    }
}

@Suite struct WebhookHandlingTests {
    @Test func validPushTriggersAFetchAndCountsRejectsDoNot() async throws {
        let secret = "0123456789abcdef0123456789abcdef"
        let hook = PushWebhook(secret: WebhookSecret(secret), branch: "main")
        let trigger = FetchTrigger()
        let metrics = TideMetrics()
        let fetched = Mutex(0)
        let runner = Task { await trigger.run { _ in fetched.withLock { $0 += 1 } } }
        defer { runner.cancel() }
        let body = ForgeBodies.gitlab()
        let bad = hook.handle(
            forge: .gitlab, headers: ["X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "nope"], body: Array(body.utf8),
            requestID: "r1", remote: "127.0.0.1", trigger: trigger, metrics: metrics)
        #expect(bad.statusCode == 401)
        #expect(trigger.stats.triggers == 0)
        let good = hook.handle(
            forge: .gitlab, headers: ["X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": secret], body: Array(body.utf8),
            requestID: "r2", remote: "127.0.0.1", trigger: trigger, metrics: metrics)
        #expect(good.statusCode == 202)
        try await pollUntil(timeout: .seconds(5), "the fetch") { fetched.withLock { $0 } == 1 }
        #expect(metrics.webhooks.value(["gitlab", "reject"]) == 1)
        #expect(metrics.webhooks.value(["gitlab", "fetch"]) == 1)
    }
}
