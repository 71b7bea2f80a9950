import Foundation
import Testing

@testable import TideLog

@Suite struct LogTests {
    let time = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func logfmtLineHasPriorityAndQuotedValues() {
        let line = Log.line(
            .warning, "rollout.breached", [("service", "web"), ("detail", "2 of 3 failed"), ("wave", 1)],
            format: .logfmt, component: "controller", time: time)
        #expect(line.hasPrefix("<4>ts=2027-01-15T08:00:00.000Z level=warning component=controller event=rollout.breached"))
        #expect(line.contains(#" service=web detail="2 of 3 failed" wave=1"#))
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().contains("\n") == false)
    }

    @Test func timestampsAreWhatTheISO8601FormatterWrites() {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // Leap day, year end, before 1970, milliseconds at both ends of their range.
        for seconds in [0, 1_800_000_000.001, 1_709_164_800.999, 1_798_761_599.5, -86_400.25, 4_102_444_800, 1_735_689_600.042] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Log.timestamp(date) == formatter.string(from: date), "at \(seconds)")
        }
    }

    @Test func jsonLineParsesAndEscapes() throws {
        let line = Log.line(
            .error, "apply.failed", [("detail", "line1\nline2 \"q\" \u{1b}[31m"), ("missing", String?.none as Any)],
            format: .json, component: "agent", time: time)
        #expect(line.hasPrefix("<3>{"))
        let json = try JSONSerialization.jsonObject(with: Data(line.dropFirst(3).utf8)) as! [String: String]
        #expect(json["detail"] == "line1\nline2 \"q\" \u{1b}[31m")
        #expect(json["level"] == "error")
        #expect(json["missing"] == nil, "a nil optional is left out, not written as Optional(nil)")
    }

    @Test func controlCharactersAndBadKeysCannotBreakALine() {
        let line = Log.line(.info, "x", [("bad key=1", "v"), ("ansi", "\u{1b}[2J")], format: .logfmt, component: "c", time: time)
        #expect(line.contains("bad_key_1=v"))
        let dup = Log.line(.info, "x", [("event", "y"), ("level", "z")], format: .logfmt, component: "c", time: time)
        #expect(dup.contains(" event=x ") && dup.contains(" event_=y level_=z"))
        #expect(line.contains(#"ansi="\u001b[2J""#))
    }

    @Test func secretFieldsAreMasked() {
        let line = Log.line(
            .info, "auth",
            [
                ("token", "s3cr3t-token-value"), ("agent_token", "abc123secret"), ("Authorization", "Bearer xyz"),
                ("token_name", "ci-bot"), ("token_file", "/run/credentials/agent-token"),
            ], format: .logfmt, component: "c", time: time)
        #expect(!line.contains("s3cr3t"))
        #expect(!line.contains("abc123secret"))
        #expect(!line.contains("xyz"))
        #expect(line.contains("token_name=ci-bot"))
        #expect(line.contains("token_file=/run/credentials/agent-token"))
    }

    @Test func secretsInsideValuesAreStripped() {
        let cases: [(String, String)] = [
            ("https://user:hunter2@git.example.com/org/repo.git", "https://user:***@git.example.com/org/repo.git"),
            ("https://ghp_abcdefTOKEN@github.com/org/repo", "https://***@github.com/org/repo"),
            ("ssh://git@git.example.com:22/org/repo", "ssh://git@git.example.com:22/org/repo"),
            ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
            (
                "failed to fetch 'https://oauth2:glpat-XYZ@gitlab.com/a/b.git': 401",
                "failed to fetch 'https://oauth2:***@gitlab.com/a/b.git': 401"
            ),
            ("GET /v1/x?access_token=abc&wait=60s", "GET /v1/x?access_token=***&wait=60s"),
            ("https://h/p?X-Amz-Signature=deadbeef&x=1", "https://h/p?X-Amz-Signature=***&x=1"),
            ("header Authorization: Bearer eyJhbGciOi.payload.sig\nnext", "header Authorization: ***\nnext"),
            ("sent Bearer eyJhbGciOiJIUzI1NiJ9 to it", "sent Bearer *** to it"),
            ("use basic auth here", "use basic auth here"),
            ("plain text, nothing to hide: wave=2 service=web", "plain text, nothing to hide: wave=2 service=web"),
        ]
        for (input, expected) in cases { #expect(Redact.text(input) == expected, "input: \(input)") }
    }

    @Test func secretHeadersAreMasked() {
        let h = Redact.headers([
            "Authorization": "Bearer abc", "X-Gitlab-Token": "t", "X-Hub-Signature-256": "sha256=00",
            "Cookie": "s=1", "Content-Type": "application/json",
        ])
        #expect(h["Authorization"] == "***")
        #expect(h["X-Gitlab-Token"] == "***")
        #expect(h["X-Hub-Signature-256"] == "***")
        #expect(h["Cookie"] == "***")
        #expect(h["Content-Type"] == "application/json")
    }

    @Test func flagParsing() throws {
        #expect(try Log.Format(flag: "JSON") == .json)
        #expect(try Log.Format(flag: "logfmt") == .logfmt)
        #expect(try Log.Level(flag: "warn") == .warning)
        #expect(try Log.Level(flag: "7") == .debug)
        #expect(throws: Log.FlagError.self) { try Log.Format(flag: "xml") }
        do {
            _ = try Log.Level(flag: "loud")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "--log-level 'loud': expected one of error, warning, notice, info, debug")
        }
    }

    @Test func requestIDsAreFreshOrSaneEchoes() {
        let a = RequestID.make()
        let b = RequestID.make()
        #expect(a.count == 16 && b.count == 16 && a != b)
        #expect(RequestID.from(header: "abc-123_x.y") == "abc-123_x.y")
        let injected = RequestID.from(header: "x\nlevel=error")
        #expect(injected.count == 16 && !injected.contains("\n"))
        #expect(RequestID.from(header: String(repeating: "a", count: 65)).count == 16)
    }

    @Test func durationsAreSeconds() {
        let line = Log.line(.info, "x", [("duration", Duration.milliseconds(1234))], format: .logfmt, component: "c", time: time)
        #expect(line.contains("duration=1.234s"))
    }
}

@Suite struct RequestLogTests {
    @Test func requestLineCarriesTheIDAndRedactsTheQuery() {
        let (level, fields) = Log.requestLine(
            id: "5f0c2a9e41d7b3c8", method: "GET", route: "/v1/agents/{server}/desired",
            path: "/v1/agents/web-01/desired?index=7&token=abc", status: 200, duration: .milliseconds(12),
            remote: "10.0.0.5")
        #expect(level == .info)
        let line = Log.line(level, "http.request", fields, format: .logfmt, component: "controller")
        #expect(line.contains("request_id=5f0c2a9e41d7b3c8 method=GET route=/v1/agents/{server}/desired"))
        #expect(line.contains(#"path="/v1/agents/web-01/desired?index=7&token=***" status=200 duration=0.012s remote=10.0.0.5"#))
        #expect(Log.requestLine(id: "x", method: "POST", route: "/hooks/{forge}", path: "/hooks/github", status: 401, duration: .zero).0 == .notice)
        #expect(Log.requestLine(id: "x", method: "GET", route: "/", path: "/", status: 503, duration: .zero).0 == .error)
    }
}
