import Foundation
import Testing
import TideCore
import TideTestSupport

/// A GitHub push webhook makes the controller fetch at once: with a one-hour poll, a merge still
/// reaches the agents in seconds. Tampered calls are refused and audited; other branches ignored.
@Suite(.serialized) struct WebhookE2ETests {
    static let siteV2 = "listen 80;\nworkers 16;\nkeepalive 30;\n"

    @Test func signedPushReachesTheAgentsWithoutThePollTamperedIsRefusedOtherBranchIgnored() async throws {
        let fleet = try E2EFleet()
        defer { fleet.stop() }
        let secret = "hook-secret-\(UUID().uuidString.prefix(8))"
        try await fleet.start(controllerExtra: try fleet.webhookFlags(secret: secret) + ["--poll", "1h"])
        let baseline = try fleet.work.head()
        let pollsAtStart = try await fleet.scrape().sum("tide_git_fetches_total", where: ["cause": "poll"])

        // Push a change. With a one-hour poll the controller does not see it by itself.
        _ = try fleet.work.write("services/web/files/site.conf", Self.siteV2)
        let change = try fleet.work.commit("web: 16 workers")
        try fleet.work.push()
        let observeUntil = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < observeUntil {
            let m = try await fleet.scrape()
            #expect(m.value("tide_head_info", ["branch": "main", "revision": baseline]) == 1)
            #expect(m.sum("tide_git_fetches_total", where: ["cause": "poll"]) == pollsAtStart)
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(fleet.file("web-1", "/etc/site/site.conf") != Self.siteV2)

        // A tampered signature (signed with another secret): 401, no fetch, and an audit record.
        let body = E2EFleet.githubPush(ref: "refs/heads/main", before: baseline, after: change, message: "web: 16 workers")
        let forged = try await fleet.postGitHubHook(body, signature: try fleet.githubSignature(body, secret: "not-the-secret"))
        #expect(forged.status == 401)
        // The right signature over an altered body: 401 too.
        var altered = body
        altered.append(contentsOf: Array(" ".utf8))
        let alteredAnswer = try await fleet.postGitHubHook(altered, signature: try fleet.githubSignature(body, secret: secret))
        #expect(alteredAnswer.status == 401)
        let unsigned = try await fleet.postGitHubHook(body, signature: nil)
        #expect(unsigned.status == 401)
        let audit = try await fleet.audit()
        let rejected = audit.filter { $0.action == "webhook-rejected" }
        #expect(rejected.count == 3)
        #expect(rejected.contains { $0.detail.contains("does not match") })
        #expect(rejected.contains { $0.detail.contains("missing X-Hub-Signature-256") })
        #expect(!rejected.contains { $0.detail.contains(secret) })
        var m = try await fleet.scrape()
        #expect(m.value("tide_webhooks_total", ["forge": "github", "decision": "reject"]) == 3)
        #expect(m.sum("tide_git_fetches_total", where: ["cause": "webhook"]) == 0)
        #expect(m.value("tide_head_info", ["branch": "main", "revision": baseline]) == 1)

        // A signed push to another branch, and a ping: 200 and ignored, no fetch.
        _ = try fleet.work.git("push -q origin HEAD:refs/heads/feature")
        let other = E2EFleet.githubPush(ref: "refs/heads/feature", before: baseline, after: change, message: "web: 16 workers")
        let otherAnswer = try await fleet.postGitHubHook(other, signature: try fleet.githubSignature(other, secret: secret))
        #expect(otherAnswer.status == 200)
        #expect(String(decoding: otherAnswer.body, as: UTF8.self).contains("ignore"))
        let ping = Array(#"{"zen":"Keep it logically awesome.","hook_id":4242}"#.utf8)
        let pingAnswer = try await fleet.postGitHubHook(ping, event: "ping", signature: try fleet.githubSignature(ping, secret: secret))
        #expect(pingAnswer.status == 200)
        m = try await fleet.scrape()
        #expect(m.value("tide_webhooks_total", ["forge": "github", "decision": "ignore"]) == 2)
        #expect(m.sum("tide_git_fetches_total", where: ["cause": "webhook"]) == 0)
        #expect(fleet.file("web-1", "/etc/site/site.conf") != Self.siteV2)

        // The real push event, correctly signed: 202, one fetch at once, the change rolls out.
        let hookedAt = ContinuousClock.now
        let answer = try await fleet.postGitHubHook(body, signature: try fleet.githubSignature(body, secret: secret))
        #expect(answer.status == 202)
        try await eventually("the canary holds the pushed file", timeout: .seconds(20), every: .milliseconds(50)) {
            fleet.file("web-1", "/etc/site/site.conf") == Self.siteV2
        }
        let toCanary = ContinuousClock.now - hookedAt
        try await fleet.waitForRollout("web", revision: change, timeout: .seconds(60))
        try await eventually("every web server holds the pushed file") {
            E2EFleet.webServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == Self.siteV2 }
        }
        print("webhook to the canary's file on disk: \(toCanary); whole rollout: \(ContinuousClock.now - hookedAt)")
        #expect(toCanary < .seconds(10))
        #expect(E2EFleet.dbServers.allSatisfy { fleet.file($0, "/etc/site/site.conf") == nil })
        m = try await fleet.scrape()
        #expect(m.value("tide_webhooks_total", ["forge": "github", "decision": "fetch"]) == 1)
        #expect(m.value("tide_git_fetches_total", ["cause": "webhook"]) == 1)
        #expect(m.sum("tide_git_fetches_total", where: ["cause": "poll"]) == pollsAtStart)
        #expect(m.value("tide_head_info", ["branch": "main", "revision": change]) == 1)
    }
}
