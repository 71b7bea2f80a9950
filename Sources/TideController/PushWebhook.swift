import Foundation

/// Checks and reads forge push webhooks (GitHub, GitLab, Gitea) and decides what to do with each call.
/// Pure: no I/O; the HTTP layer passes the headers and the raw body, and acts on the `WebhookDecision`.
public struct PushWebhook: Sendable {
    public let secret: WebhookSecret
    /// The watched branch, without `refs/heads/`.
    public let branch: String
    /// When set, a push must name this repository (compared without scheme, credentials, `.git` and case).
    public let repository: String?

    public init(secret: WebhookSecret, branch: String, repository: String? = nil) {
        self.secret = secret
        self.branch = branch.hasPrefix("refs/heads/") ? String(branch.dropFirst("refs/heads/".count)) : branch
        self.repository = repository
    }

    /// Decides on one call to `POST /hooks/{forge}`. `headers` are matched without regard to case.
    /// The signature is checked before anything in the body is read.
    public func decide(forge: Forge, headers: [String: String], body: [UInt8]) -> WebhookDecision {
        var lower: [String: String] = [:]
        for (k, v) in headers { lower[k.lowercased()] = v }

        if let problem = verify(forge: forge, headers: lower, body: body) { return .reject(reason: problem) }

        let event = lower[forge.eventHeader.lowercased()] ?? ""
        if forge == .github, event == "ping" { return .ignore(reason: "ping") }
        guard event == forge.pushEvent else {
            return .ignore(reason: event.isEmpty ? "no \(forge.eventHeader) header" : "event '\(event)' is not a push")
        }

        let push: PushEvent
        do {
            push = try Self.parse(forge: forge, body: body, delivery: Self.delivery(forge: forge, headers: lower))
        } catch {
            return .malformed(reason: "\(forge.rawValue) push body: \(error)")
        }
        if let repository, !push.repositoryURLs.isEmpty,
            !push.repositoryURLs.contains(where: { Self.sameRepository($0, repository) })
        {
            return .ignore(reason: "push to another repository (\(push.repositoryURLs.first ?? "?"))")
        }
        guard let pushed = push.branch else { return .ignore(reason: "push to \(push.ref), not a branch") }
        guard pushed == branch else { return .ignore(reason: "push to branch '\(pushed)', watching '\(branch)'") }
        guard !push.deletesRef else { return .ignore(reason: "branch '\(pushed)' deleted") }
        return .fetch(push)
    }

    /// nil when the call is authentic; else why not (for the 401 and the audit log; never the secret).
    func verify(forge: Forge, headers: [String: String], body: [UInt8]) -> String? {
        guard let given = headers[forge.signatureHeader.lowercased()], !given.isEmpty else {
            return "missing \(forge.signatureHeader) header"
        }
        switch forge {
        case .gitlab:
            return HMACSHA256.constantTimeEqual(Array(given.utf8), secret.bytes)
                ? nil : "\(forge.signatureHeader) does not match the secret"
        case .github, .gitea:
            var hex = Substring(given.trimmingCharacters(in: .whitespaces))
            if forge == .github {
                guard hex.hasPrefix("sha256=") else { return "\(forge.signatureHeader) is not of the form sha256=<hex>" }
                hex = hex.dropFirst("sha256=".count)
            }
            guard let signature = HMACSHA256.bytes(fromHex: hex), signature.count == 32 else {
                return "\(forge.signatureHeader) is not a hex HMAC-SHA256"
            }
            let expected = HMACSHA256.digest(key: secret.bytes, data: body)
            return HMACSHA256.constantTimeEqual(signature, expected)
                ? nil : "\(forge.signatureHeader) does not match the body (wrong secret or altered body)"
        }
    }

    static func delivery(forge: Forge, headers: [String: String]) -> String? {
        switch forge {
        case .github: headers["x-github-delivery"]
        case .gitlab: headers["x-gitlab-event-uuid"]
        case .gitea: headers["x-gitea-delivery"]
        }
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads `ref`, `after`, the repository's URLs and the pusher from a push event body.
    static func parse(forge: Forge, body: [UInt8], delivery: String?) throws -> PushEvent {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body))
        } catch {
            throw ParseError(description: "not JSON (set the webhook's content type to application/json)")
        }
        guard let root = object as? [String: Any] else { throw ParseError(description: "not a JSON object") }
        guard let ref = root["ref"] as? String, !ref.isEmpty else { throw ParseError(description: "no \"ref\" string") }
        guard let after = root["after"] as? String, !after.isEmpty else {
            throw ParseError(description: "no \"after\" string")
        }
        var urls: [String] = []
        let repoKeys: [(String, [String])]
        switch forge {
        case .github, .gitea:
            repoKeys = [("repository", ["clone_url", "ssh_url", "git_url", "html_url"])]
        case .gitlab:
            repoKeys = [
                ("project", ["git_http_url", "git_ssh_url", "web_url"]),
                ("repository", ["git_http_url", "git_ssh_url", "homepage"]),
            ]
        }
        for (objectKey, keys) in repoKeys {
            guard let repo = root[objectKey] as? [String: Any] else { continue }
            for key in keys {
                if let url = repo[key] as? String, !url.isEmpty, !urls.contains(url) { urls.append(url) }
            }
        }
        var pusher: String?
        switch forge {
        case .github:
            pusher = (root["sender"] as? [String: Any])?["login"] as? String
                ?? (root["pusher"] as? [String: Any])?["name"] as? String
        case .gitlab:
            pusher = root["user_username"] as? String ?? root["user_name"] as? String
        case .gitea:
            pusher = (root["pusher"] as? [String: Any])?["login"] as? String
                ?? (root["pusher"] as? [String: Any])?["username"] as? String
                ?? (root["sender"] as? [String: Any])?["login"] as? String
        }
        return PushEvent(forge: forge, ref: ref, after: after, repositoryURLs: urls, pusher: pusher, delivery: delivery)
    }

    /// Whether two repository URLs name the same repository: `https://host/org/repo.git`,
    /// `git@host:org/repo` and `ssh://git@host/org/repo` all reduce to `host/org/repo`.
    public static func sameRepository(_ a: String, _ b: String) -> Bool { canonical(a) == canonical(b) }

    static func canonical(_ url: String) -> String {
        var s = Substring(url.trimmingCharacters(in: .whitespaces))
        if let scheme = s.range(of: "://") {
            s = s[scheme.upperBound...]
        } else if let colon = s.firstIndex(of: ":"), !s[..<colon].contains("/") {
            // scp-like `git@host:org/repo`
            s = s[..<colon] + "/" + s[s.index(after: colon)...]
        }
        let slash = s.firstIndex(of: "/") ?? s.endIndex
        var authority = s[..<slash]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if let colon = authority.lastIndex(of: ":"), authority[authority.index(after: colon)...].allSatisfy(\.isNumber) {
            authority = authority[..<colon]
        }
        var path = s[slash...]
        while path.hasSuffix("/") { path = path.dropLast() }
        if path.hasSuffix(".git") { path = path.dropLast(4) }
        return (authority + path).lowercased()
    }
}
