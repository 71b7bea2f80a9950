import Foundation
import Testing
import TideCore
import TideTestSupport

@testable import TideController

@Suite struct NotifierTests {
    let notice = Notice(
        event: .breached, service: "web", rollout: "42", revision: "abcdef0123456789abcdef0123456789abcdef01", wave: 1,
        detail: "2 of 3 canaries failed health", time: Date(timeIntervalSince1970: 1_800_000_000))

    @Test func deliversOnceAfterTwoFailuresWithoutBlockingTheCaller() async throws {
        let receiver = try LoopbackReceiver(failFirst: 2)
        defer { receiver.stop() }
        let notifier = Notifier(
            targets: [NotifyTarget(url: receiver.url, format: .json)],
            policy: .init(attempts: 5, initialBackoff: .milliseconds(50), timeout: .seconds(5)))
        let runner = Task { await notifier.run() }
        defer { runner.cancel() }

        let clock = ContinuousClock()
        let start = clock.now
        notifier.enqueue(notice)
        let enqueueTook = clock.now - start
        // Blocking until delivered would take at least the two backoffs (50 + 100 ms).
        #expect(enqueueTook < .milliseconds(100), "enqueue took \(enqueueTook)")

        try await pollUntil(timeout: .seconds(15), "delivery") { notifier.stats.sent == 1 }
        #expect(receiver.delivered.count == 1)
        #expect(receiver.requests.count == 3)
        #expect(notifier.stats == .init(sent: 1, failed: 0, dropped: 0, attempts: 3))
        let body = try JSONSerialization.jsonObject(with: Data(receiver.delivered[0].utf8)) as! [String: Any]
        #expect(body["event"] as? String == "rollout.breached")
        #expect(body["service"] as? String == "web")
        #expect(body["rollout"] as? String == "42")
        #expect(body["wave"] as? Int == 1)
        #expect(body["revision"] as? String == "abcdef0123456789abcdef0123456789abcdef01")
        #expect(body["detail"] as? String == "2 of 3 canaries failed health")
        #expect(body["time"] as? String == "2027-01-15T08:00:00Z")
        #expect(receiver.requests[0].headers["content-type"] == "application/json")
    }

    @Test func slackFormatSendsText() async throws {
        let receiver = try LoopbackReceiver()
        defer { receiver.stop() }
        let notifier = Notifier(targets: [NotifyTarget(url: receiver.url, format: .slack)])
        let runner = Task { await notifier.run() }
        defer { runner.cancel() }
        notifier.enqueue(notice)
        try await pollUntil(timeout: .seconds(10), "delivery") { receiver.delivered.count == 1 }
        let body = try JSONSerialization.jsonObject(with: Data(receiver.delivered[0].utf8)) as! [String: Any]
        #expect(body.keys.sorted() == ["text"])
        #expect(
            body["text"] as? String
                == "Tide: web rollout 42 breached its failure threshold at wave 1 (abcdef012345): 2 of 3 canaries failed health")
    }

    @Test func aSlowTargetDoesNotDelayAnotherAndEnqueueNeverWaits() async throws {
        let slow = try LoopbackReceiver(delay: .seconds(2))
        let fast = try LoopbackReceiver()
        defer {
            slow.stop()
            fast.stop()
        }
        let notifier = Notifier(targets: [NotifyTarget(url: slow.url), NotifyTarget(url: fast.url)])
        let runner = Task { await notifier.run() }
        defer { runner.cancel() }
        let clock = ContinuousClock()
        let start = clock.now
        for i in 0..<5 { notifier.enqueue(Notice(event: .waveDone, service: "web", wave: i + 1)) }
        #expect(clock.now - start < .milliseconds(500), "enqueue waited for the slow target")
        try await pollUntil(timeout: .seconds(5), "fast target gets all 5") { fast.delivered.count == 5 }
        #expect(slow.delivered.count <= 1, "the fast target finished while the slow one was still on its first")
    }

    @Test func fullQueueDropsTheOldest() async throws {
        let receiver = try LoopbackReceiver()
        defer { receiver.stop() }
        let notifier = Notifier(targets: [NotifyTarget(url: receiver.url)], policy: .init(capacity: 3))
        // Not running yet: the queue fills up.
        for i in 1...5 { notifier.enqueue(Notice(event: .waveDone, service: "web", wave: i)) }
        #expect(notifier.stats.dropped == 2)
        let runner = Task { await notifier.run() }
        defer { runner.cancel() }
        try await pollUntil(timeout: .seconds(10), "three deliveries") { receiver.delivered.count == 3 }
        let waves = receiver.delivered.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["wave"] as? Int
        }
        #expect(waves == [3, 4, 5])
    }

    @Test func givesUpAfterItsAttemptsAndOnClientErrors() async throws {
        let receiver = try LoopbackReceiver(failFirst: 100)
        defer { receiver.stop() }
        let notifier = Notifier(
            targets: [NotifyTarget(url: receiver.url)], policy: .init(attempts: 3, initialBackoff: .milliseconds(10)))
        let runner = Task { await notifier.run() }
        defer { runner.cancel() }
        notifier.enqueue(notice)
        try await pollUntil(timeout: .seconds(10), "failure") { notifier.stats.failed == 1 }
        #expect(receiver.requests.count == 3)
        #expect(notifier.stats.sent == 0)
    }

    @Test func connectionRefusedIsRetriedThenFails() async throws {
        // A port that was just free: nothing listens there.
        let port = try { () throws -> UInt16 in let r = try LoopbackReceiver(); r.stopAndWait(); return r.port }()
        let notifier = Notifier(
            targets: [NotifyTarget(url: "http://127.0.0.1:\(port)/x")],
            policy: .init(attempts: 2, initialBackoff: .milliseconds(10), timeout: .seconds(2)))
        let runner = Task { await notifier.run() }
        defer { runner.cancel() }
        notifier.enqueue(notice)
        try await pollUntil(timeout: .seconds(10), "failure") { notifier.stats.failed == 1 }
        #expect(notifier.stats.attempts == 2)
    }
}
