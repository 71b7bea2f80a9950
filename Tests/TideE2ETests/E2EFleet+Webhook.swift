import Foundation
import TideCore
import TideHTTP
import TideTestSupport

extension E2EFleet {
    /// Like `start()`, with `controllerExtra` appended to the controller's arguments (a later flag
    /// wins, so `["--poll", "1h"]` overrides the fixture's 200ms poll).
    func start(controllerExtra: [String]) async throws {
        try FileManager.default.createDirectory(atPath: dir("agents"), withIntermediateDirectories: true)
        try startController(extra: controllerExtra)
        for name in Self.allServers { try startAgent(name) }
        try await eventually("the baseline on every server", timeout: .seconds(90)) {
            let status = try await self.status()
            return status.services.count == 2
                && status.services.allSatisfy { s in
                    s.rollout?.state == .succeeded && s.healthy == s.servers && s.servers > 0
                }
        }
    }

    /// Writes the webhook secret file and returns the flags that make the controller use it.
    func webhookFlags(secret: String) throws -> [String] {
        try Data(secret.utf8).write(to: URL(fileURLWithPath: dir("webhook-secret")))
        return ["--webhook-secret-file", dir("webhook-secret")]
    }

    /// A push event shaped like GitHub's (https://docs.github.com/webhooks/webhook-events-and-payloads#push).
    static func githubPush(ref: String, before: String, after: String, message: String) -> [UInt8] {
        let now = ISO8601DateFormatter().string(from: Date())
        let body: [String: Any] = [
            "ref": ref, "before": before, "after": after, "created": false, "deleted": false, "forced": false,
            "base_ref": NSNull(), "compare": "https://github.com/acme/fleet/compare/\(before.prefix(12))...\(after.prefix(12))",
            "commits": [[
                "id": after, "tree_id": String(repeating: "a", count: 40), "distinct": true, "message": message,
                "timestamp": now, "url": "https://github.com/acme/fleet/commit/\(after)",
                "author": ["name": "Dana Engineer", "email": "dana@example.com", "username": "dana"],
                "committer": ["name": "Dana Engineer", "email": "dana@example.com", "username": "dana"],
                "added": [], "removed": [], "modified": ["services/web/files/site.conf"],
            ]],
            "head_commit": [
                "id": after, "message": message, "timestamp": now,
                "author": ["name": "Dana Engineer", "email": "dana@example.com", "username": "dana"],
            ],
            "repository": [
                "id": 123_456, "node_id": "R_kgDOABCDEF", "name": "fleet", "full_name": "acme/fleet", "private": true,
                "owner": ["name": "acme", "login": "acme", "id": 42, "type": "Organization"],
                "html_url": "https://github.com/acme/fleet", "clone_url": "https://github.com/acme/fleet.git",
                "git_url": "git://github.com/acme/fleet.git", "ssh_url": "git@github.com:acme/fleet.git",
                "default_branch": "main", "master_branch": "main",
            ],
            "pusher": ["name": "dana", "email": "dana@example.com"],
            "sender": ["login": "dana", "id": 7, "type": "User"],
        ]
        return Array(try! JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
    }

    /// `sha256=<hex>` of `body` with `secret`, computed by the openssl CLI (not Tide's own HMAC).
    func githubSignature(_ body: [UInt8], secret: String) throws -> String {
        let file = dir("hook-body-\(UUID().uuidString.prefix(8)).json")
        try Data(body).write(to: URL(fileURLWithPath: file))
        let out = try Shell.check("openssl dgst -sha256 -hmac \(Shell.quote(secret)) -hex < \(Shell.quote(file))")
        guard let hex = out.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines), hex.count == 64 else {
            throw E2EError("openssl dgst gave no HMAC: \(out)")
        }
        return "sha256=" + hex
    }

    /// `POST /hooks/github` with GitHub's headers.
    func postGitHubHook(_ body: [UInt8], event: String = "push", signature: String?) async throws -> HTTPClient.Response {
        var headers = [
            "Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/e2e", "X-GitHub-Event": event,
            "X-GitHub-Delivery": UUID().uuidString.lowercased(), "X-GitHub-Hook-ID": "4242",
        ]
        if let signature { headers["X-Hub-Signature-256"] = signature }
        return try await client.send("POST", url + "/hooks/github", headers: headers, body: body, timeout: .seconds(10))
    }
}
