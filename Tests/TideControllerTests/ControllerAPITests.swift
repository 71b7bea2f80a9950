import Foundation
import Synchronization
import TideController
import TideCore
import TideHTTP
import TideTestSupport
import Testing

/// A real `HTTPServer` on 127.0.0.1 (port 0) serving `ControllerAPI` over an `InMemoryBackend`.
struct APIFixture {
    static let agentToken = "agent-secret-token"
    static let viewerToken = "viewer-token-1"
    static let operatorToken = "operator-token-1"
    static let adminToken = "admin-token-1"
    static let webhookSecret = "webhook-secret-0123456789"

    let backend = InMemoryBackend()
    let metrics = TideMetrics()
    let server: HTTPServer
    let client = HTTPClient()

    init(agentToken: String? = Self.agentToken, tokens: Bool = true, webhook: Bool = true) throws {
        let operatorTokens = try tokens
            ? OperatorTokens(
                parsing: """
                    # test tokens
                    vera viewer \(SHA256.hex(Self.viewerToken))
                    olga operator \(SHA256.hex(Self.operatorToken))
                    adam admin \(SHA256.hex(Self.adminToken))
                    """, file: "tokens") : nil
        let api = ControllerAPI(
            backend: backend, agentToken: agentToken, operatorTokens: operatorTokens,
            webhook: webhook ? PushWebhook(secret: WebhookSecret(Self.webhookSecret), branch: "main") : nil,
            metrics: metrics)
        server = try HTTPServer(ControllerAPI.serverOptions(host: "127.0.0.1", port: 0), handler: api.handler)
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(server.port)\(path)" }

    func get(_ path: String, token: String? = nil, headers: [String: String] = [:], timeout: Duration = .seconds(10))
        async throws -> HTTPClient.Response
    {
        var h = headers
        if let token { h["Authorization"] = "Bearer \(token)" }
        return try await client.send("GET", url(path), headers: h, timeout: timeout)
    }

    func post(_ path: String, token: String? = nil, body: [UInt8] = [], headers: [String: String] = [:])
        async throws -> HTTPClient.Response
    {
        var h = headers
        h["Content-Type"] = h["Content-Type"] ?? "application/json"
        if let token { h["Authorization"] = "Bearer \(token)" }
        return try await client.send("POST", url(path), headers: h, body: body)
    }

    static func json<T: Encodable>(_ value: T) throws -> [UInt8] { Array(try JSONEncoder().encode(value)) }

    /// `Shell.check` on a Dispatch thread, so a long curl does not block the cooperative pool that
    /// the server's handlers and the other tests run on.
    static func shell(_ command: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Shell.check(command) })
            }
        }
    }

    static let goodReport = AgentProtocol.Report(services: [
        AgentProtocol.ServiceReport(service: "nginx", bundle: String(repeating: "a", count: 64), phase: .healthy)
    ])
}

@Suite struct ControllerAPITests {
    @Test func agentRoutesRefuseMissingOrWrongTokenAndChangeNothing() async throws {
        let f = try APIFixture()
        defer { Task { await f.server.stop() } }
        let blob = String(repeating: "b", count: 64)
        f.backend.state.withLock { $0.blobs[blob] = [1, 2, 3] }
        let report = try APIFixture.json(APIFixture.goodReport)
        for token in [nil, "wrong-token", APIFixture.agentToken + "x", APIFixture.operatorToken] as [String?] {
            let d = try await f.get("/v1/agents/web-01/desired?index=0&wait=0s", token: token)
            #expect(d.status == 401, "desired with token \(token ?? "none"): \(d.status)")
            #expect(try d.decode(AgentProtocol.ErrorBody.self).error == "unauthorized")
            let b = try await f.get("/v1/blobs/\(blob)", token: token)
            #expect(b.status == 401)
            let r = try await f.post("/v1/agents/web-01/report", token: token, body: report)
            #expect(r.status == 401)
        }
        f.backend.state.withLock { s in
            #expect(s.reports.isEmpty)
            #expect(s.desiredCalls.isEmpty)
            #expect(s.blobCalls.isEmpty)
        }
        // The right token gets through.
        let ok = try await f.post("/v1/agents/web-01/report", token: APIFixture.agentToken, body: report)
        #expect(ok.status == 204, "\(ok.errorText)")
        #expect(f.backend.state.withLock { $0.reports.count } == 1)
    }

    @Test func unknownServerAndMalformedReportAreRefused() async throws {
        let f = try APIFixture()
        defer { Task { await f.server.stop() } }
        let t = APIFixture.agentToken
        let unknown = try await f.get("/v1/agents/db-99/desired?index=0&wait=0s", token: t)
        #expect(unknown.status == 404)
        #expect(unknown.errorText.contains("db-99"))
        let unknownReport = try await f.post("/v1/agents/db-99/report", token: t, body: try APIFixture.json(APIFixture.goodReport))
        #expect(unknownReport.status == 404)

        let notJSON = try await f.post("/v1/agents/web-01/report", token: t, body: Array("{not json".utf8))
        #expect(notJSON.status == 400)
        let badPhase = try await f.post(
            "/v1/agents/web-01/report", token: t,
            body: Array(#"{"services":[{"service":"nginx","bundle":"x","phase":"sleepy"}]}"#.utf8))
        #expect(badPhase.status == 400)
        #expect(badPhase.errorText.contains("services"), "\(badPhase.errorText)")
        let missing = try await f.post("/v1/agents/web-01/report", token: t, body: Array(#"{"servicez":[]}"#.utf8))
        #expect(missing.status == 400)
        #expect(missing.errorText.contains("services"))
        // The backend's own ControllerError keeps its status.
        let wrongService = try await f.post(
            "/v1/agents/web-01/report", token: t,
            body: try APIFixture.json(
                AgentProtocol.Report(services: [
                    AgentProtocol.ServiceReport(service: "unknown-service", bundle: "x", phase: .applied)
                ])))
        #expect(wrongService.status == 400)
        #expect(wrongService.errorText.contains("unknown-service"))
        #expect(f.backend.state.withLock { $0.reports.isEmpty })

        let badIndex = try await f.get("/v1/agents/web-01/desired?index=-1", token: t)
        #expect(badIndex.status == 400)
        #expect(badIndex.errorText.contains("index"))
        let badWait = try await f.get("/v1/agents/web-01/desired?index=0&wait=soon", token: t)
        #expect(badWait.status == 400)
        #expect(badWait.errorText.contains("wait"))
        #expect(f.backend.state.withLock { $0.desiredCalls.isEmpty })
    }

    @Test func blockingQueryIsHeldAndAnsweredOnChange() async throws {
        let f = try APIFixture()
        defer { Task { await f.server.stop() } }
        let t = APIFixture.agentToken
        // Behind the current index: answered at once.
        let now = try await f.get("/v1/agents/web-01/desired?index=0&wait=30s", token: t)
        #expect(now.status == 200)
        #expect(try now.decode(AgentProtocol.DesiredState.self).index == 1)

        let clock = ContinuousClock()
        let start = clock.now
        let held = Task { try await f.get("/v1/agents/web-01/desired?index=1&wait=30s", token: t, timeout: .seconds(40)) }
        try await pollUntil("the blocking query to be open") { f.metrics.blockingQueriesOpen.value() == 1 }
        #expect(f.backend.state.withLock { $0.desiredCalls.last?.wait } == .seconds(30))
        f.backend.bump()
        let answer = try await held.value
        #expect(answer.status == 200)
        #expect(try answer.decode(AgentProtocol.DesiredState.self).index == 2)
        #expect(clock.now - start < .seconds(20), "answered on the change, not at the end of the wait")
        #expect(f.metrics.blockingQueriesOpen.value() == 0)

        // No wait given → 60s; a wait over 5m is capped.
        _ = try await f.get("/v1/agents/web-01/desired", token: t)
        #expect(f.backend.state.withLock { $0.desiredCalls.last?.wait } == .seconds(60))
        _ = try await f.get("/v1/agents/web-01/desired?index=0&wait=1h", token: t)
        #expect(f.backend.state.withLock { $0.desiredCalls.last?.wait } == .seconds(300))
    }

    @Test func aWaitThatEndsWithNothingNewIsNotModifiedForAnAgentHoldingTheState() async throws {
        let f = try APIFixture()
        defer { Task { await f.server.stop() } }
        let t = APIFixture.agentToken
        let first = try await f.get("/v1/agents/web-01/desired?index=0&wait=0s", token: t)
        #expect(first.status == 200)
        #expect(first.headers["etag"] == "\"1\"")
        let held = try await f.get("/v1/agents/web-01/desired?index=1&wait=0s", token: t, headers: ["If-None-Match": "\"1\""])
        #expect(held.status == 304, "the agent holds index 1 and nothing changed")
        #expect(held.body.isEmpty)
        #expect(held.headers["etag"] == "\"1\"")
        // Without the header (an older agent), or holding another index: the whole state.
        let plain = try await f.get("/v1/agents/web-01/desired?index=1&wait=0s", token: t)
        #expect(plain.status == 200)
        #expect(try plain.decode(AgentProtocol.DesiredState.self).index == 1)
        let other = try await f.get("/v1/agents/web-01/desired?index=1&wait=0s", token: t, headers: ["If-None-Match": "\"7\""])
        #expect(other.status == 200)
        // A change during the wait is answered with the new state even when the agent sent its index.
        f.backend.bump()
        let moved = try await f.get("/v1/agents/web-01/desired?index=1&wait=5s", token: t, headers: ["If-None-Match": "\"1\""])
        #expect(moved.status == 200)
        #expect(try moved.decode(AgentProtocol.DesiredState.self).index == 2)
        // The asked heartbeat is part of the version: an agent holding index 2 under no heartbeat gets the
        // state again (with the heartbeat) once one is asked, and 304 with the new ETag after that.
        f.backend.state.withLock { $0.heartbeat = 200 }
        let paced = try await f.get("/v1/agents/web-01/desired?index=2&wait=0s", token: t, headers: ["If-None-Match": "\"2\""])
        #expect(paced.status == 200)
        #expect(paced.headers["etag"] == "\"2-200\"")
        #expect(try paced.decode(AgentProtocol.DesiredState.self).heartbeatSeconds == 200)
        let pacedHeld = try await f.get("/v1/agents/web-01/desired?index=2&wait=0s", token: t, headers: ["If-None-Match": "\"2-200\""])
        #expect(pacedHeld.status == 304)
    }

    @Test func blobsAreCacheableAndChecked() async throws {
        let f = try APIFixture()
        defer { Task { await f.server.stop() } }
        let t = APIFixture.agentToken
        let content = Array("server { listen 80; }\n".utf8)
        let id = SHA256.hex(content)
        f.backend.state.withLock { $0.blobs[id] = content }
        let ok = try await f.get("/v1/blobs/\(id)", token: t)
        #expect(ok.status == 200)
        #expect(ok.body == content)
        #expect(ok.headers["cache-control"] == "public, max-age=31536000, immutable")
        #expect(ok.headers["etag"] == "\"\(id)\"")
        // A client that holds it gets 304 without the bytes (curl: URLSession would hide the 304).
        let notModified = try await APIFixture.shell(
            "curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer \(t)' -H 'If-None-Match: \"\(id)\"' \(f.url("/v1/blobs/\(id)"))"
        )
        #expect(notModified == "304")
        let unknown = try await f.get("/v1/blobs/\(String(repeating: "0", count: 64))", token: t)
        #expect(unknown.status == 404)
        let notAnID = try await f.get("/v1/blobs/not-a-hash", token: t)
        #expect(notAnID.status == 400)
        #expect(f.backend.state.withLock { $0.blobCalls.count } == 3)
    }

    @Test func operatorRolesAreEnforcedAndTheActorIsTheTokenName() async throws {
        let f = try APIFixture()
        defer { Task { await f.server.stop() } }
        // Viewer reads, but cannot pause; the backend sees nothing.
        let status = try await f.get("/api/v1/status", token: APIFixture.viewerToken)
        #expect(status.status == 200)
        #expect(try status.decode(OperatorAPI.Status.self).branch == "main")
        let denied = try await f.post("/api/v1/rollouts/r1/pause", token: APIFixture.viewerToken)
        #expect(denied.status == 403)
        #expect(denied.errorText.contains("operator"), "\(denied.errorText)")
        let noToken = try await f.post("/api/v1/rollouts/r1/pause")
        #expect(noToken.status == 401)
        let wrongToken = try await f.post("/api/v1/rollouts/r1/pause", token: "guess")
        #expect(wrongToken.status == 401)
        let readNoToken = try await f.get("/api/v1/rollouts")
        #expect(readNoToken.status == 401)
        #expect(f.backend.state.withLock { $0.commands.isEmpty })

        // Operator can; the actor is the token's name, never the token.
        let paused = try await f.post("/api/v1/rollouts/r1/pause", token: APIFixture.operatorToken)
        #expect(paused.status == 200, "\(paused.errorText)")
        #expect(try paused.decode(OperatorAPI.CommandResult.self).ok)
        let promoted = try await f.post("/api/v1/rollouts/r1/promote", token: APIFixture.adminToken)
        #expect(promoted.status == 200)
        let commands = f.backend.state.withLock { $0.commands }
        #expect(commands.map(\.actor) == ["olga", "adam"])
        #expect(commands.map(\.command) == [.pause, .promote])
        // A backend ControllerError keeps its status and body.
        let missing = try await f.post("/api/v1/rollouts/x9/abort", token: APIFixture.operatorToken)
        #expect(missing.status == 404)
        #expect(missing.errorText.contains("x9"))

        // Admin releases; operator reverts; malformed bodies are 400 and change nothing.
        let released = try await f.post(
            "/api/v1/services/nginx/release", token: APIFixture.adminToken,
            body: try APIFixture.json(OperatorAPI.ReleaseRequest(revision: "abc123")))
        #expect(released.status == 200, "\(released.errorText)")
        let badRelease = try await f.post(
            "/api/v1/services/nginx/release", token: APIFixture.adminToken, body: Array("{}".utf8))
        #expect(badRelease.status == 400)
        let reverted = try await f.post(
            "/api/v1/revert", token: APIFixture.operatorToken,
            body: try APIFixture.json(OperatorAPI.RevertRequest(commit: "deadbeef", reason: "broke login")))
        #expect(reverted.status == 200)
        #expect(try reverted.decode(OperatorAPI.RevertResult.self).revertCommit == "f00d")
        f.backend.state.withLock { s in
            #expect(s.releases.map { "\($0.service) \($0.revision) \($0.actor)" } == ["nginx abc123 adam"])
            #expect(s.reverts.map { "\($0.commit) \($0.reason ?? "") \($0.actor)" } == ["deadbeef broke login olga"])
        }
        let badLimit = try await f.get("/api/v1/audit?limit=0", token: APIFixture.viewerToken)
        #expect(badLimit.status == 400)
        let noRollout = try await f.get("/api/v1/rollouts/r404", token: APIFixture.viewerToken)
        #expect(noRollout.status == 404)
    }

    @Test func withoutTokensFileReadsAreOpenAndWritesRefused() async throws {
        let f = try APIFixture(agentToken: nil, tokens: false)
        defer { Task { await f.server.stop() } }
        let status = try await f.get("/api/v1/status")
        #expect(status.status == 200)
        let pause = try await f.post("/api/v1/rollouts/r1/pause", token: APIFixture.adminToken)
        #expect(pause.status == 403)
        #expect(pause.errorText.contains("--operator-tokens"))
        #expect(f.backend.state.withLock { $0.commands.isEmpty })
        // No agent token configured: agents are not authenticated.
        let desired = try await f.get("/v1/agents/web-01/desired?index=0&wait=0s")
        #expect(desired.status == 200)
    }

    @Test func githubWebhookTriggersFetchAndTamperedOneIsRejectedAndAudited() async throws {
        let f = try APIFixture()
        defer { Task { await f.server.stop() } }
        let body = Array(
            #"{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000001","after":"1111111111111111111111111111111111111111","repository":{"clone_url":"https://github.com/acme/fleet.git"},"sender":{"login":"octocat"}}"#
                .utf8)
        let signature = "sha256=" + HMACSHA256.digest(key: Array(APIFixture.webhookSecret.utf8), data: body)
            .map { String(format: "%02x", $0) }.joined()
        let headers = ["X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": signature]
        let ok = try await f.post("/hooks/github", body: body, headers: headers)
        #expect(ok.status == 202, "\(ok.errorText)")
        #expect(f.backend.state.withLock { $0.fetches } == ["webhook"])

        var tampered = body
        tampered[tampered.count - 3] = UInt8(ascii: "X")
        let bad = try await f.post("/hooks/github", body: tampered, headers: headers)
        #expect(bad.status == 401)
        let rejected = f.backend.state.withLock { $0.rejected }
        #expect(rejected.count == 1)
        #expect(rejected.first?.forge == "github")
        #expect(rejected.first?.remote == "127.0.0.1")
        #expect(f.backend.state.withLock { $0.fetches.count } == 1)
        #expect(f.metrics.webhooks.value(["github", "reject"]) == 1)

        let unknownForge = try await f.post("/hooks/bitbucket", body: body, headers: headers)
        #expect(unknownForge.status == 404)

        let off = try APIFixture(webhook: false)
        defer { Task { await off.server.stop() } }
        let notConfigured = try await off.post("/hooks/github", body: body, headers: headers)
        #expect(notConfigured.status == 404)
        #expect(notConfigured.errorText.contains("webhooks not configured"))
        #expect(off.backend.state.withLock { $0.fetches.isEmpty })
    }

    @Test func metricsCountRequestsByRoutePatternAndRequestIDIsEchoed() async throws {
        let f = try APIFixture()
        defer { Task { await f.server.stop() } }
        let t = APIFixture.agentToken
        _ = try await f.get("/v1/agents/web-01/desired?index=0&wait=0s", token: t)
        _ = try await f.get("/v1/agents/web-02/desired?index=0&wait=0s", token: t)
        _ = try await f.get("/v1/agents/web-02/desired?index=0&wait=0s")
        _ = try await f.get("/no/such/path")
        let health = try await f.get("/healthz")
        #expect(health.status == 200)
        #expect(String(decoding: health.body, as: UTF8.self) == "ok\n")

        let scrape = try await f.get("/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = String(decoding: scrape.body, as: UTF8.self)
        #expect(text.contains(#"tide_http_requests_total{route="/v1/agents/{server}/desired",code="200"} 2"#), "\(text)")
        #expect(text.contains(#"tide_http_requests_total{route="/v1/agents/{server}/desired",code="401"} 1"#))
        #expect(text.contains(#"tide_http_requests_total{route="unmatched",code="404"} 1"#))
        #expect(text.contains(#"tide_http_requests_total{route="/healthz",code="200"} 1"#))
        #expect(!text.contains("web-01"), "raw paths must not become labels")
        #expect(text.contains("tide_blocking_queries_open 0"))

        let echoed = try await f.get("/healthz", headers: ["X-Request-Id": "req-abc.123"])
        #expect(echoed.headers["x-request-id"] == "req-abc.123")
        let made = try await f.get("/healthz")
        let id = made.headers["x-request-id"] ?? ""
        #expect(id.count == 16 && id.allSatisfy(\.isHexDigit), "made id '\(id)'")
        let injected = try await f.get("/healthz", headers: ["X-Request-Id": "bad id with spaces"])
        #expect(injected.headers["x-request-id"] != "bad id with spaces")
    }
}

/// Bodies over the limits: refused with 413, not buffered, and the backend sees nothing.
@Suite(.serialized) struct ControllerAPILimitTests {
    @Test func hundredMegabyteReportIsRefusedWithoutBuffering() async throws {
        let f = try APIFixture()
        defer { Task { await f.server.stop() } }
        let dir = try TempDirectory()
        try Shell.check("truncate -s 100M \(dir("big"))")
        let url = f.url("/v1/agents/web-01/report")
        let auth = "-H 'Authorization: Bearer \(APIFixture.agentToken)' -H 'Content-Type: application/json'"
        let before = try rss()
        let announced = try await APIFixture.shell("curl -s -o /dev/null -w '%{http_code}' \(auth) -X POST -T \(dir("big")) \(url)")
        #expect(announced == "413")
        let streamed = try await APIFixture.shell(
            "head -c 100000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' \(auth) -X POST -H 'Transfer-Encoding: chunked' -T - \(url)"
        )
        #expect(streamed == "413")
        let after = try rss()
        #expect(after - before < 40 << 20, "RSS grew by \(after - before) bytes")
        // Under the server's 8 MiB limit but over the 1 MiB report limit: refused by the route.
        let twoMiB = try await f.post(
            "/v1/agents/web-01/report", token: APIFixture.agentToken, body: [UInt8](repeating: 32, count: 2 << 20))
        #expect(twoMiB.status == 413)
        #expect(f.backend.state.withLock { $0.reports.isEmpty })
    }

    func rss() throws -> Int {
        let text = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        return (Int(text.split(separator: " ")[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Building the API from `tide controller`'s options: files read, errors name the file.
@Suite struct ControllerAPIOptionsTests {
    @Test func filesAreReadAndErrorsNameThem() async throws {
        let dir = try TempDirectory()
        var options = ControllerOptions(repo: "git://127.0.0.1/fleet", stateDirectory: dir("state"))
        options.agentTokenFile = try dir.write("agent-token", "  \(APIFixture.agentToken)\n")
        options.operatorTokensFile = try dir.write("tokens", "olga operator \(SHA256.hex(APIFixture.operatorToken))\n")
        options.webhookSecretFile = try dir.write("webhook", APIFixture.webhookSecret + "\n")
        options.listenPort = 0
        let backend = InMemoryBackend()
        let api = try ControllerAPI(options: options, backend: backend, metrics: TideMetrics())
        let server = try HTTPServer(try ControllerAPI.serverOptions(options), handler: api.handler)
        defer { Task { await server.stop() } }
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(server.port)"
        let agent = try await client.send(
            "GET", "\(base)/v1/agents/web-01/desired?index=0&wait=0s",
            headers: ["Authorization": "Bearer \(APIFixture.agentToken)"])
        #expect(agent.status == 200, "the token file's whitespace is trimmed")
        let pause = try await client.send(
            "POST", "\(base)/api/v1/rollouts/r1/pause", headers: ["Authorization": "Bearer \(APIFixture.operatorToken)"])
        #expect(pause.status == 200)
        #expect(backend.state.withLock { $0.commands.map(\.actor) } == ["olga"])
        let hook = try await client.send("POST", "\(base)/hooks/gitlab", headers: ["X-Gitlab-Token": "nope"], body: [])
        #expect(hook.status == 401, "webhooks are configured")

        options.agentTokenFile = dir("missing")
        #expect {
            try ControllerAPI(options: options, backend: backend, metrics: TideMetrics())
        } throws: { "\($0)".contains(dir("missing")) }
        options.agentTokenFile = try dir.write("empty", "\n")
        #expect { try ControllerAPI(options: options, backend: backend, metrics: TideMetrics()) } throws: {
            "\($0)".contains("is empty")
        }
        options.tlsCertificateFile = dir("cert.pem")
        #expect(throws: HTTPServerError.self) { try ControllerAPI.serverOptions(options) }
    }
}
