import Foundation
import Synchronization
import Testing
import TideCore
import TideController
import TideHTTP
import TideTestSupport

/// The real `tide` binary against a real HTTP server on 127.0.0.1 serving canned operator API JSON.
@Suite struct TideCLITests {
    typealias F = OperatorFixture

    @Test func pauseSendsTheTokenAndPrintsTheAnswer() async throws {
        let dir = try TempDirectory()
        let tokenFile = try dir.write("token", "s3cret-token\n")
        let controller = try CannedController { _ in
            .json(OperatorAPI.CommandResult(ok: true, message: "rollout 7 paused", rollout: F.rollout(id: "7", state: "paused")))
        }
        let r = try await CannedController.tide(["pause", "7", "--controller", controller.url, "--token-file", tokenFile])
        await controller.stop()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "rollout 7 paused\n" + RolloutWatch.progressLine(F.rollout(id: "7", state: "paused")) + "\n")
        let seen = controller.requests
        #expect(seen.count == 1)
        #expect(seen.first?.method == "POST")
        #expect(seen.first?.path == "/api/v1/rollouts/7/pause")
        #expect(seen.first?.authorization == "Bearer s3cret-token")

        // The same through the environment variables; a refused command exits 1 with the reason.
        let refusing = try CannedController { _ in
            .json(OperatorAPI.CommandResult(ok: false, message: "rollout 7 already ended", rollout: nil))
        }
        let r2 = try await CannedController.tide(
            ["abort", "7"], environment: ["TIDE_CONTROLLER": refusing.url + "/", "TIDE_TOKEN_FILE": tokenFile])
        await refusing.stop()
        #expect(r2.status == 1)
        #expect(r2.stderr.contains("refused: rollout 7 already ended"))
        #expect(refusing.requests.first?.path == "/api/v1/rollouts/7/abort")
        #expect(refusing.requests.first?.authorization == "Bearer s3cret-token")
    }

    @Test func revertAndReleaseSendTheirBodies() async throws {
        let controller = try CannedController { request in
            if request.path == "/api/v1/revert" {
                return .json(OperatorAPI.RevertResult(reverted: "abc1234ffff", revertCommit: "def5678eeee"))
            }
            return .json(OperatorAPI.CommandResult(ok: true, message: "web released at abc1234", rollout: nil))
        }
        let r = try await CannedController.tide(["revert", "abc1234", "--reason", "bad config", "--controller", controller.url])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("reverted abc1234 with def5678\n"))
        let r2 = try await CannedController.tide(["release", "web", "abc1234", "--controller", controller.url])
        await controller.stop()
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(r2.stdout == "web released at abc1234\n")
        let seen = controller.requests
        #expect(seen.map(\.path) == ["/api/v1/revert", "/api/v1/services/web/release"])
        #expect(seen.allSatisfy { $0.method == "POST" && $0.authorization == nil })
        let revert = try JSONDecoder().decode(OperatorAPI.RevertRequest.self, from: Data(seen[0].body))
        #expect(revert == OperatorAPI.RevertRequest(commit: "abc1234", reason: "bad config"))
        let release = try JSONDecoder().decode(OperatorAPI.ReleaseRequest.self, from: Data(seen[1].body))
        #expect(release.revision == "abc1234")
    }

    @Test func refusalsAndMissingRolloutsExitOne() async throws {
        let dir = try TempDirectory()
        let tokenFile = try dir.write("viewer", "viewer-token")
        let controller = try CannedController { request in
            if request.path.hasPrefix("/api/v1/rollouts/") { return .error(404, "not found", detail: "rollout 99") }
            if request.bearerToken == nil { return .error(401, "unauthorized", detail: "a bearer token is required") }
            return .error(403, "forbidden", detail: "token viewer (viewer) may not pause")
        }
        let unauthorized = try await CannedController.tide(["status", "--controller", controller.url])
        #expect(unauthorized.status == 1)
        #expect(unauthorized.stdout.isEmpty)
        #expect(unauthorized.stderr.contains("401 unauthorized: a bearer token is required"))
        #expect(unauthorized.stderr.contains("hint: no token was sent: pass --token-file F"))

        let forbidden = try await CannedController.tide(["history", "--controller", controller.url, "--token-file", tokenFile])
        #expect(forbidden.status == 1)
        #expect(forbidden.stderr.contains("403 forbidden: token viewer (viewer) may not pause"))
        #expect(forbidden.stderr.contains("--token-file"))

        let missing = try await CannedController.tide(["rollout", "99", "--controller", controller.url])
        #expect(missing.status == 1)
        #expect(missing.stderr == "tide rollout: no rollout 99\n")
        let missingPause = try await CannedController.tide(["pause", "99", "--controller", controller.url])
        #expect(missingPause.stderr == "tide pause: no rollout 99\n")
        await controller.stop()

        let usage = try await CannedController.tide(["rollouts", "--limit", "zero", "--controller", controller.url])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("--limit zero is not a positive whole number"))
    }

    @Test func connectionRefusedNamesTheController() async throws {
        let controller = try CannedController { _ in .text("") }
        let url = controller.url
        await controller.stop()
        let r = try await CannedController.tide(["rollouts", "--controller", url])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("tide rollouts: cannot reach the controller at \(url): "))
        #expect(r.stderr.contains("refused"))
        let w = try await CannedController.tide(["watch", "--controller", url])
        #expect(w.status == 1)
        #expect(w.stderr.contains("cannot reach the controller at \(url)"))
    }

    @Test func jsonPrintsTheAnswerAsIsAndPassesTheQuery() async throws {
        let list = OperatorAPI.Rollouts(rollouts: [F.rollout(id: "12"), F.rollout(id: "11", state: "succeeded")])
        let canned = F.json(list)
        let controller = try CannedController { _ in
            HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(canned.utf8))
        }
        let r = try await CannedController.tide(
            ["rollouts", "--json", "--service", "web", "--limit", "5"], environment: ["TIDE_CONTROLLER": controller.url])
        let text = try await CannedController.tide(["rollouts", "--controller", controller.url])
        await controller.stop()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\n  \"rollouts\" : ["))
        let printed = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? NSDictionary
        let original = try JSONSerialization.jsonObject(with: Data(canned.utf8)) as? NSDictionary
        #expect(printed != nil && printed == original)
        let seen = controller.requests
        #expect(seen.first?.path == "/api/v1/rollouts")
        #expect(seen.first?.query == ["service": "web", "limit": "5"])
        #expect(seen.last?.query == ["limit": "20"])
        #expect(text.status == 0)
        #expect(text.stdout.hasPrefix("ID  SERVICE  REVISION  KIND    STATE      WAVE"))
    }
}
