import Foundation
import Testing
import TideTestSupport

@testable import TideController

/// Push event bodies shaped like each forge's documented payload (trimmed of fields Tide never reads,
/// but keeping the nesting and the neighbours of the fields it does).
enum ForgeBodies {
    static func github(ref: String = "refs/heads/main", after: String = "bffeb74224043ba2feb48d137756c8a9331c449a") -> String {
        """
        {
          "ref": "\(ref)",
          "before": "28e1879d029cb852e4844d9c718537df08844e03",
          "after": "\(after)",
          "repository": {
            "id": 186853002,
            "node_id": "MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=",
            "name": "fleet-config",
            "full_name": "acme/fleet-config",
            "private": true,
            "owner": {"name": "acme", "email": null, "login": "acme", "id": 21031067, "type": "Organization"},
            "html_url": "https://github.com/acme/fleet-config",
            "url": "https://github.com/acme/fleet-config",
            "git_url": "git://github.com/acme/fleet-config.git",
            "ssh_url": "git@github.com:acme/fleet-config.git",
            "clone_url": "https://github.com/acme/fleet-config.git",
            "default_branch": "main",
            "master_branch": "main"
          },
          "pusher": {"name": "octocat", "email": "octocat@github.com"},
          "sender": {"login": "octocat", "id": 583231, "type": "User", "site_admin": false},
          "created": false,
          "deleted": \(after.allSatisfy { $0 == "0" }),
          "forced": false,
          "base_ref": null,
          "compare": "https://github.com/acme/fleet-config/compare/28e1879d029c...bffeb7422404",
          "commits": [
            {
              "id": "\(after)",
              "tree_id": "f9d2a07e9488b91af2641b26b9407fe22a451433",
              "distinct": true,
              "message": "web: raise worker_connections",
              "timestamp": "2026-12-03T16:00:00Z",
              "url": "https://github.com/acme/fleet-config/commit/\(after)",
              "author": {"name": "Octo Cat", "email": "octocat@github.com", "username": "octocat"},
              "committer": {"name": "GitHub", "email": "noreply@github.com", "username": "web-flow"},
              "added": [], "removed": [], "modified": ["services/web/files/nginx.conf"]
            }
          ],
          "head_commit": null
        }
        """
    }

    static func gitlab(ref: String = "refs/heads/main", after: String = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7") -> String {
        """
        {
          "object_kind": "push",
          "event_name": "push",
          "before": "95790bf891e76fee5e1747ab589903a6a1f80f22",
          "after": "\(after)",
          "ref": "\(ref)",
          "ref_protected": true,
          "checkout_sha": "\(after)",
          "message": null,
          "user_id": 4,
          "user_name": "John Smith",
          "user_username": "jsmith",
          "user_email": "john@example.com",
          "user_avatar": "https://s.gravatar.com/avatar/d4c74594d841139328695756648b6bd6?s=8://s.gravatar.com/avatar/d4c74594d841139328695756648b6bd6?s=80",
          "project_id": 15,
          "project": {
            "id": 15,
            "name": "fleet-config",
            "description": "",
            "web_url": "https://gitlab.example.com/ops/fleet-config",
            "avatar_url": null,
            "git_ssh_url": "git@gitlab.example.com:ops/fleet-config.git",
            "git_http_url": "https://gitlab.example.com/ops/fleet-config.git",
            "namespace": "ops",
            "visibility_level": 0,
            "path_with_namespace": "ops/fleet-config",
            "default_branch": "main",
            "homepage": "https://gitlab.example.com/ops/fleet-config",
            "url": "git@gitlab.example.com:ops/fleet-config.git",
            "ssh_url": "git@gitlab.example.com:ops/fleet-config.git",
            "http_url": "https://gitlab.example.com/ops/fleet-config.git"
          },
          "commits": [
            {
              "id": "\(after)",
              "message": "web: raise worker_connections\\n",
              "title": "web: raise worker_connections",
              "timestamp": "2026-12-03T16:00:00+00:00",
              "url": "https://gitlab.example.com/ops/fleet-config/-/commit/\(after)",
              "author": {"name": "John Smith", "email": "john@example.com"},
              "added": [], "modified": ["services/web/files/nginx.conf"], "removed": []
            }
          ],
          "total_commits_count": 1,
          "push_options": {},
          "repository": {
            "name": "fleet-config",
            "url": "git@gitlab.example.com:ops/fleet-config.git",
            "description": "",
            "homepage": "https://gitlab.example.com/ops/fleet-config",
            "git_http_url": "https://gitlab.example.com/ops/fleet-config.git",
            "git_ssh_url": "git@gitlab.example.com:ops/fleet-config.git",
            "visibility_level": 0
          }
        }
        """
    }

    static func gitea(ref: String = "refs/heads/main", after: String = "bffeb74224043ba2feb48d137756c8a9331c449a") -> String {
        """
        {
          "ref": "\(ref)",
          "before": "28e1879d029cb852e4844d9c718537df08844e03",
          "after": "\(after)",
          "compare_url": "http://gitea.example.com:3000/ops/fleet-config/compare/28e1879d029cb852e4844d9c718537df08844e03...\(after)",
          "commits": [
            {
              "id": "\(after)",
              "message": "web: raise worker_connections\\n",
              "url": "http://gitea.example.com:3000/ops/fleet-config/commit/\(after)",
              "author": {"name": "Gitea", "email": "someone@gitea.io", "username": "gitea"},
              "committer": {"name": "Gitea", "email": "someone@gitea.io", "username": "gitea"},
              "verification": null,
              "timestamp": "2026-12-03T16:00:00Z",
              "added": [], "removed": [], "modified": ["services/web/files/nginx.conf"]
            }
          ],
          "total_commits": 1,
          "head_commit": null,
          "repository": {
            "id": 140,
            "owner": {"id": 1, "login": "ops", "full_name": "", "email": "ops@example.com", "username": "ops"},
            "name": "fleet-config",
            "full_name": "ops/fleet-config",
            "description": "",
            "private": true,
            "fork": false,
            "html_url": "http://gitea.example.com:3000/ops/fleet-config",
            "ssh_url": "ssh://git@gitea.example.com:2222/ops/fleet-config.git",
            "clone_url": "http://gitea.example.com:3000/ops/fleet-config.git",
            "website": "",
            "stars_count": 0,
            "forks_count": 1,
            "watchers_count": 1,
            "open_issues_count": 7,
            "default_branch": "main",
            "created_at": "2017-02-26T04:29:06-05:00",
            "updated_at": "2017-03-13T13:51:58-04:00"
          },
          "pusher": {"id": 1, "login": "gitea", "full_name": "", "email": "someone@gitea.io", "username": "gitea"},
          "sender": {"id": 1, "login": "gitea", "full_name": "", "email": "someone@gitea.io", "username": "gitea"}
        }
        """
    }
}

@Suite struct WebhookTests {
    static let secretText = "It's a Secret to Everybody"
    let hook = PushWebhook(secret: WebhookSecret(secretText), branch: "main")

    func sign(_ body: String, secret: String = secretText) -> String {
        SHA256Hex.of(HMACSHA256.digest(key: Array(secret.utf8), data: Array(body.utf8)))
    }

    func github(_ body: String, event: String = "push", signature: String?) -> WebhookDecision {
        var headers = ["X-GitHub-Event": event, "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"]
        headers["X-Hub-Signature-256"] = signature
        return hook.decide(forge: .github, headers: headers, body: Array(body.utf8))
    }

    @Test func hmacMatchesGitHubsDocumentedVectorAndOpenSSL() throws {
        // The example in GitHub's "Validating webhook deliveries".
        #expect(sign("Hello, World!") == "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
        let body = ForgeBodies.github()
        let dir = try TempDirectory("hmac")
        let file = try dir.write("body.json", body)
        let out = try Shell.check("openssl dgst -sha256 -hmac \(Shell.quote(Self.secretText)) < \(Shell.quote(file))")
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(sign(body)))
    }

    @Test func githubPushToWatchedBranchFetches() {
        let body = ForgeBodies.github()
        let decision = github(body, signature: "sha256=" + sign(body))
        guard case .fetch(let push) = decision else {
            Issue.record("expected fetch, got \(decision)")
            return
        }
        #expect(push.branch == "main")
        #expect(push.after == "bffeb74224043ba2feb48d137756c8a9331c449a")
        #expect(push.repositoryURLs.first == "https://github.com/acme/fleet-config.git")
        #expect(push.pusher == "octocat")
        #expect(push.delivery == "72d3162e-cc78-11e3-81ab-4c9367dc0958")
        #expect(decision.statusCode == 202)
    }

    @Test func githubUppercaseHexAndLowercaseHeaderNamesAreAccepted() {
        let body = ForgeBodies.github()
        let decision = hook.decide(
            forge: .github, headers: ["x-github-event": "push", "x-hub-signature-256": "sha256=" + sign(body).uppercased()],
            body: Array(body.utf8))
        #expect(decision.name == "fetch")
    }

    @Test func githubTamperedBodyWrongSecretOrMissingSignatureIs401() {
        let body = ForgeBodies.github()
        let good = "sha256=" + sign(body)
        let tampered = body.replacingOccurrences(of: "refs/heads/main", with: "refs/heads/mainx")
        let cases: [(String, String?)] = [
            (tampered, good),
            (body, "sha256=" + sign(body, secret: "another secret")),
            (body, nil),
            (body, ""),
            (body, sign(body)),  // no sha256= prefix
            (body, "sha256=zz" + sign(body).dropFirst(2)),
            (body, "sha256=" + sign(body).dropLast(2)),
            (body, "sha1=" + sign(body)),
        ]
        for (b, sig) in cases {
            let d = github(b, signature: sig)
            #expect(d.statusCode == 401, "signature \(sig ?? "nil"): \(d)")
            #expect(d.name == "reject")
        }
        // A ping with no signature is rejected too: nothing unsigned is trusted.
        #expect(github(#"{"zen":"Keep it logically awesome."}"#, event: "ping", signature: nil).statusCode == 401)
    }

    @Test func githubOtherBranchTagPingAndOtherEventsAreIgnored() {
        let other = ForgeBodies.github(ref: "refs/heads/feature/x")
        #expect(github(other, signature: "sha256=" + sign(other)) == .ignore(reason: "push to branch 'feature/x', watching 'main'"))
        let tag = ForgeBodies.github(ref: "refs/tags/v1.0")
        #expect(github(tag, signature: "sha256=" + sign(tag)).name == "ignore")
        let ping = #"{"zen":"Keep it logically awesome.","hook_id":1,"hook":{"type":"Repository","events":["push"]}}"#
        #expect(github(ping, event: "ping", signature: "sha256=" + sign(ping)) == .ignore(reason: "ping"))
        let issue = #"{"action":"opened","issue":{"number":1}}"#
        let d = github(issue, event: "issues", signature: "sha256=" + sign(issue))
        #expect(d.name == "ignore" && d.statusCode == 200)
        let deleted = ForgeBodies.github(after: String(repeating: "0", count: 40))
        #expect(github(deleted, signature: "sha256=" + sign(deleted)) == .ignore(reason: "branch 'main' deleted"))
    }

    @Test func signedButUnreadableBodyIs400() {
        let body = #"{"ref": 42}"#
        #expect(github(body, signature: "sha256=" + sign(body)).statusCode == 400)
        let notJSON = "ref=refs/heads/main"
        #expect(github(notJSON, signature: "sha256=" + sign(notJSON)).statusCode == 400)
    }

    @Test func gitlabTokenHeader() {
        let body = ForgeBodies.gitlab()
        func decide(_ token: String?, event: String = "Push Hook", body: String = body) -> WebhookDecision {
            var headers = ["X-Gitlab-Event": event, "X-Gitlab-Event-UUID": "4c4e1bd8-1f7a-4a2e-9d7c-2b6c1f0e9a11"]
            headers["X-Gitlab-Token"] = token
            return hook.decide(forge: .gitlab, headers: headers, body: Array(body.utf8))
        }
        guard case .fetch(let push) = decide(Self.secretText) else {
            Issue.record("expected fetch, got \(decide(Self.secretText))")
            return
        }
        #expect(push.after == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7")
        #expect(push.pusher == "jsmith")
        #expect(push.repositoryURLs.contains("git@gitlab.example.com:ops/fleet-config.git"))
        #expect(decide("wrong").statusCode == 401)
        #expect(decide(Self.secretText + "x").statusCode == 401)
        #expect(decide(String(Self.secretText.dropLast())).statusCode == 401)
        #expect(decide(nil).statusCode == 401)
        #expect(decide(Self.secretText, event: "Tag Push Hook").name == "ignore")
        #expect(decide(Self.secretText, event: "Merge Request Hook").name == "ignore")
        #expect(decide(Self.secretText, body: ForgeBodies.gitlab(ref: "refs/heads/dev")).name == "ignore")
    }

    @Test func giteaSignatureHeader() {
        let body = ForgeBodies.gitea()
        func decide(_ signature: String?, event: String = "push", body: String = body) -> WebhookDecision {
            var headers = [
                "X-Gitea-Event": event, "X-Gitea-Delivery": "f6266f16-1bf3-46a5-9ea4-602e06ead473",
                "X-GitHub-Event": event,
            ]
            headers["X-Gitea-Signature"] = signature
            return hook.decide(forge: .gitea, headers: headers, body: Array(body.utf8))
        }
        guard case .fetch(let push) = decide(sign(body)) else {
            Issue.record("expected fetch, got \(decide(sign(body)))")
            return
        }
        #expect(push.pusher == "gitea")
        #expect(push.repositoryURLs.first == "http://gitea.example.com:3000/ops/fleet-config.git")
        #expect(decide("sha256=" + sign(body)).statusCode == 401, "Gitea's header is bare hex")
        #expect(decide(sign(body + " ")).statusCode == 401)
        #expect(decide(nil).statusCode == 401)
        let other = ForgeBodies.gitea(ref: "refs/heads/release")
        #expect(decide(sign(other), body: other).name == "ignore")
        #expect(decide(sign(body), event: "create").name == "ignore")
    }

    @Test func repositoryMatchingWhenConfigured() {
        let body = ForgeBodies.github()
        let sig = "sha256=" + sign(body)
        let headers = ["X-GitHub-Event": "push", "X-Hub-Signature-256": sig]
        for repo in ["git@github.com:acme/fleet-config.git", "https://GitHub.com/acme/fleet-config", "ssh://git@github.com/acme/fleet-config.git/"] {
            let h = PushWebhook(secret: WebhookSecret(Self.secretText), branch: "refs/heads/main", repository: repo)
            #expect(h.decide(forge: .github, headers: headers, body: Array(body.utf8)).name == "fetch", "\(repo)")
        }
        let h = PushWebhook(secret: WebhookSecret(Self.secretText), branch: "main", repository: "https://github.com/acme/other")
        #expect(h.decide(forge: .github, headers: headers, body: Array(body.utf8)).name == "ignore")
    }

    @Test func secretFileTrimsOneTrailingNewlineAndNamesTheFileOnError() throws {
        let dir = try TempDirectory("secret")
        let path = try dir.write("secret", Self.secretText + "\n")
        let secret = try WebhookSecret(contentsOfFile: path)
        let body = ForgeBodies.gitea()
        let hook = PushWebhook(secret: secret, branch: "main")
        #expect(
            hook.decide(forge: .gitea, headers: ["X-Gitea-Event": "push", "X-Gitea-Signature": sign(body)], body: Array(body.utf8))
                .name == "fetch")
        #expect(!"\(secret)".contains("Everybody"))
        let crlf = try dir.write("crlf", "abcdefghijklmnopq\r\n")
        #expect(try WebhookSecret(contentsOfFile: crlf).bytes == Array("abcdefghijklmnopq".utf8))
        do {
            _ = try WebhookSecret(contentsOfFile: dir("missing"))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains(dir("missing")))
        }
        let empty = try dir.write("empty", "\n")
        #expect(throws: WebhookSecret.LoadError.self) { try WebhookSecret(contentsOfFile: empty) }
    }

    @Test func constantTimeEqual() {
        #expect(HMACSHA256.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!HMACSHA256.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!HMACSHA256.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!HMACSHA256.constantTimeEqual([], Array("a".utf8)))
    }
}

/// Lowercase hex of bytes.
enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
