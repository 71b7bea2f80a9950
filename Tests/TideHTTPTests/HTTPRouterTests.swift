import Foundation
import TideCore
import TideHTTP
import TideTestSupport
import Testing

struct Echo: Codable, Equatable {
    var name: String
    var count: Int
}

@Suite struct HTTPRouterTests {
    static func router() -> HTTPRouter {
        var router = HTTPRouter()
        router.add("GET", "/v1/agents/{server}/desired") { request in
            .json(["server": request.parameters["server"] ?? "", "index": request.query["index"] ?? "",
                   "auth": request.bearerToken ?? ""])
        }
        router.add("POST", "/v1/echo") { request in
            let value = try request.decodeJSON(Echo.self)
            return .json(Echo(name: value.name.uppercased(), count: value.count + 1))
        }
        return router
    }

    @Test func routesParametersQueryHeadersAndJSON() async throws {
        let server = try HTTPServer(handler: Self.router().handler)
        defer { Task { await server.stop() } }
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(server.port)"

        let got = try await client.send(
            "GET", base + "/v1/agents/web-01/desired?index=7&wait=1s", headers: ["Authorization": "Bearer s3cret"])
        #expect(got.status == 200)
        #expect(try got.decode([String: String].self) == ["server": "web-01", "index": "7", "auth": "s3cret"])

        let echo = try await client.sendJSON("POST", base + "/v1/echo", Echo(name: "ab", count: 1))
        #expect(echo.status == 200)
        #expect(try echo.decode(Echo.self) == Echo(name: "AB", count: 2))

        let malformed = try await client.send("POST", base + "/v1/echo", body: Array(#"{"name": 3}"#.utf8))
        #expect(malformed.status == 400)
        let error = try malformed.decode(AgentProtocol.ErrorBody.self)
        #expect(error.error == "malformed body")
        #expect(error.detail?.contains("name") == true)

        let missing = try await client.send("GET", base + "/nope")
        #expect(missing.status == 404)
        #expect(try missing.decode(AgentProtocol.ErrorBody.self).error == "not found")

        let wrongMethod = try await client.send("DELETE", base + "/v1/echo")
        #expect(wrongMethod.status == 405)
    }

    @Test func headersOverTheLimitAreRefused() async throws {
        let server = try HTTPServer(HTTPServerOptions(maxHeaderBytes: 16 << 10), handler: Self.router().handler)
        defer { Task { await server.stop() } }
        let big = String(repeating: "x", count: 40 << 10)
        let answer = try await HTTPClient().send(
            "GET", "http://127.0.0.1:\(server.port)/v1/agents/a/desired", headers: ["X-Big": big])
        #expect(answer.status >= 400 && answer.status < 500)
        let small = try await HTTPClient().send("GET", "http://127.0.0.1:\(server.port)/v1/agents/a/desired")
        #expect(small.status == 200)
    }

    @Test func clientTimesOutAndLongPollAnswers() async throws {
        let server = try HTTPServer { request in
            let ms = Int(request.query["ms"] ?? "0") ?? 0
            try? await Task.sleep(for: .milliseconds(ms))
            return .text("waited \(ms)")
        }
        defer { Task { await server.stop() } }
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(server.port)"
        let slow = try await client.send("GET", base + "/?ms=1500", timeout: .seconds(10))
        #expect(String(decoding: slow.body, as: UTF8.self) == "waited 1500")
        await #expect(throws: HTTPClient.TransportError.self) {
            _ = try await client.send("GET", base + "/?ms=3000", timeout: .milliseconds(500))
        }
        // Nothing listening: refused, not hung.
        await server.stop()
        await #expect(throws: HTTPClient.TransportError.self) {
            _ = try await client.send("GET", base + "/", timeout: .seconds(5))
        }
    }
}
