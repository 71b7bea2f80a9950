import Foundation
import Synchronization
import Testing
import TideCore
import TideController
import TideHTTP
import TideTestSupport

/// `tide watch` (the real binary) against a controller whose rollouts move on with each poll.
@Suite struct TideWatchCLITests {
    typealias F = OperatorFixture

    /// Answers `GET /api/v1/rollouts` with `steps[k]` on its k-th call (the last step repeats), the
    /// rollouts by id from the current step, and a status with one `web` service.
    final class Script: Sendable {
        let steps: [[RolloutSummary]]
        let polls = Mutex(0)
        init(_ steps: [[RolloutSummary]]) { self.steps = steps }

        func answer(_ request: HTTPRequest) -> HTTPResponse {
            if request.path == "/api/v1/status" {
                return .json(F.status(services: [F.service("web")]))
            }
            if request.path == "/api/v1/rollouts" {
                let k = polls.withLock { n in
                    defer { n += 1 }
                    return n
                }
                return .json(OperatorAPI.Rollouts(rollouts: steps[min(k, steps.count - 1)]))
            }
            let current = steps[min(max(polls.withLock { $0 } - 1, 0), steps.count - 1)]
            if let r = current.first(where: { "/api/v1/rollouts/\($0.id)" == request.path }) { return .json(r) }
            return .error(404, "not found", detail: request.path)
        }
    }

    static func watch(_ steps: [[RolloutSummary]], _ args: [String]) async throws -> (CannedController.Run, Int) {
        let script = Script(steps)
        let controller = try CannedController { script.answer($0) }
        let r = try await CannedController.tide(["watch", "--controller", controller.url] + args)
        await controller.stop()
        return (r, script.polls.withLock { $0 })
    }

    @Test func followsARolloutThatStartsAfterThePushAndExitsZero() async throws {
        let old = F.rollout(id: "3", state: "succeeded", startedAt: F.now - 900_000, endedAt: F.now - 800_000)
        let pending = F.rollout(id: "4", state: "pending", wave: 0, released: 0, healthy: 0, startedAt: F.now)
        let verifying = F.rollout(id: "4", state: "verifying", wave: 1, released: 2, healthy: 1, startedAt: F.now)
        let done = F.rollout(
            id: "4", state: "succeeded", wave: 4, released: 18, healthy: 18, startedAt: F.now, endedAt: F.now + 1)
        let steps = [[old], [old], [pending, old], [verifying, old], [verifying, old], [verifying, old], [done, old]]
        // A generous settle: the script moves on per poll, so it costs nothing unless the watch is broken.
        let (r, polls) = try await Self.watch(steps, ["--timeout", "60s", "--settle", "30s"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "no rollout active; waiting up to 30s for one to start")
        #expect(lines.filter { $0 == RolloutWatch.progressLine(verifying) }.count == 1)
        #expect(lines.filter { $0 == RolloutWatch.progressLine(pending) }.count == 1)
        #expect(lines.contains("web #4 succeeded: 18/18 healthy"))
        #expect(lines.contains("all followed rollouts succeeded:"))
        #expect(!lines.contains { $0.contains("#3") })
        #expect(polls == steps.count)
    }

    @Test func aBreachAndRevertAreLoudAndExitOne() async throws {
        let verifying = F.rollout(id: "12", state: "verifying", wave: 1, released: 2, healthy: 0)
        let breached = F.rollout(
            id: "12", state: "failed", breached: true, wave: 1, released: 2, healthy: 0, failed: 2,
            lines: [("web-01", 1, "failed", "health check exited 1"), ("web-02", 1, "failed", "health check exited 1")])
        let reverted = F.rollout(id: "12", state: "reverted", breached: true, wave: 1, released: 2, failed: 2, endedAt: F.now)
        let revert = F.rollout(
            id: "13", revision: "feedface99", kind: "tideRevert", state: "succeeded", wave: 1, waves: 1, servers: 2,
            released: 2, healthy: 2, startedAt: F.now + 5, endedAt: F.now + 10)
        let steps = [[verifying], [breached], [reverted], [reverted], [revert, reverted]]
        let (r, _) = try await Self.watch(steps, ["--timeout", "60s", "--settle", "30s"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("!! web #12 BREACHED in wave 1/4: 2 failed, 0 timed out of 2 released"))
        #expect(r.stdout.contains("!!   web-01  failed  health check exited 1"))
        #expect(r.stdout.contains("!! web #12 REVERTED: abcdef0 was reverted in Git"))
        #expect(r.stdout.contains("waiting up to 30s for the revert's rollout"))
        #expect(r.stdout.contains("web #13 succeeded: 2/2 healthy"))
        #expect(r.stdout.contains("  web #12 abcdef0 (change): REVERTED"))
        #expect(r.stdout.contains("  web #13 feedfac (tide-revert): succeeded"))
    }

    @Test func timesOutWithTwoAndSettlesWithZero() async throws {
        let stuck = F.rollout(id: "12", state: "verifying")
        let clock = ContinuousClock()
        let start = clock.now
        let (timedOut, _) = try await Self.watch([[stuck]], ["--timeout", "2500ms"])
        #expect(timedOut.status == 2, "\(timedOut.stdout)\(timedOut.stderr)")
        #expect(timedOut.stdout.contains("timed out after 2s500ms; still in progress:"))
        #expect(timedOut.stdout.contains("  web #12 abcdef0 (change): verifying in wave 2/4"))
        #expect(clock.now - start < .seconds(60))

        let old = F.rollout(id: "3", state: "succeeded", endedAt: F.now)
        let (quiet, polls) = try await Self.watch([[old]], ["--settle", "1s", "--timeout", "60s"])
        #expect(quiet.status == 0, "\(quiet.stdout)\(quiet.stderr)")
        #expect(quiet.stdout.hasSuffix("no rollout started within 1s: nothing to watch\n"))
        #expect(polls >= 1)

        let (unknown, _) = try await Self.watch([[old]], ["--service", "nope"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no service nope"))
    }

    @Test func jsonWatchPrintsJSONLines() async throws {
        let a = F.rollout(id: "12", state: "verifying", released: 5)
        let b = F.rollout(id: "12", state: "succeeded", released: 18, healthy: 18, endedAt: F.now)
        let (r, _) = try await Self.watch([[a], [a], [b]], ["--json", "--timeout", "60s"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let decoded = try r.stdout.split(separator: "\n").map {
            try JSONDecoder().decode(RolloutSummary.self, from: Data($0.utf8))
        }
        #expect(decoded.map(\.state) == [.verifying, .succeeded])
        #expect(r.stderr.contains("all followed rollouts succeeded:"))
    }
}
