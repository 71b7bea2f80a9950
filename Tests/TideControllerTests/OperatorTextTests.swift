import Foundation
import Testing
import TideController
import TideCore

@Suite struct OperatorTextTests {
    typealias F = OperatorFixture

    /// The column where `header`'s `name` starts, and the cell of `row` that starts there.
    static func cell(_ text: String, row: Int, column name: String) -> String {
        let lines = text.split(separator: "\n").map(String.init)
        let header = lines.first { $0.contains(name) && $0 == $0.uppercased() }!
        let start = header.distance(from: header.startIndex, to: header.range(of: name)!.lowerBound)
        let headerIndex = lines.firstIndex(of: header)!
        let line = Array(lines[headerIndex + 1 + row])
        guard start < line.count else { return "" }
        // Every cell starts at its header's column: the character before it is a space.
        #expect(start == 0 || line[start - 1] == " ", "cell under \(name) does not start at the column: \(String(line))")
        return String(line[start...].prefix { $0 != " " })
    }

    @Test func relativeTimesAndShortSHAs() {
        let now = F.now
        #expect(OperatorText.relativeTime(now - 3_000, now: now) == "3s ago")
        #expect(OperatorText.relativeTime(now - 5 * 60_000 - 10, now: now) == "5m ago")
        #expect(OperatorText.relativeTime(now - 2 * 3_600_000, now: now) == "2h ago")
        #expect(OperatorText.relativeTime(now - 4 * 86_400_000, now: now) == "4d ago")
        #expect(OperatorText.relativeTime(now + 5_000, now: now) == "just now")
        #expect(OperatorText.age(now - 90_000, now: now) == "1m")
        #expect(OperatorText.shortSHA("abcdef0123456789") == "abcdef0")
        #expect(OperatorText.shortSHA(nil) == "-")
    }

    @Test func rolloutsTableIsAlignedAndKeepsFailuresApart() {
        let list = OperatorAPI.Rollouts(rollouts: [
            F.rollout(
                id: "1234", service: "api-gateway", state: "failed", breached: true, released: 9, healthy: 3, failed: 2,
                timedOut: 1, offline: 3, startedAt: F.now - 7_200_000),
            F.rollout(id: "7", service: "db", kind: "tideRevert", state: "succeeded", startedAt: F.now - 40_000),
        ])
        let text = OperatorText.rollouts(list, now: F.now)
        let header = text.split(separator: "\n")[0]
        #expect(
            header.split(separator: " ", omittingEmptySubsequences: true) == [
                "ID", "SERVICE", "REVISION", "KIND", "STATE", "WAVE", "RELEASED", "HEALTHY", "FAILED", "TIMED-OUT",
                "OFFLINE", "AGE",
            ])
        #expect(Self.cell(text, row: 0, column: "SERVICE") == "api-gateway")
        #expect(Self.cell(text, row: 1, column: "SERVICE") == "db")
        #expect(Self.cell(text, row: 0, column: "REVISION") == "abcdef0")
        #expect(Self.cell(text, row: 0, column: "STATE") == "failed!")
        #expect(Self.cell(text, row: 0, column: "FAILED") == "2")
        #expect(Self.cell(text, row: 0, column: "TIMED-OUT") == "1")
        #expect(Self.cell(text, row: 0, column: "OFFLINE") == "3")
        #expect(Self.cell(text, row: 0, column: "RELEASED") == "9/18")
        #expect(Self.cell(text, row: 0, column: "WAVE") == "2/4")
        #expect(Self.cell(text, row: 0, column: "AGE") == "2h")
        #expect(Self.cell(text, row: 1, column: "KIND") == "tide-revert")
        #expect(Self.cell(text, row: 1, column: "AGE") == "40s")
        #expect(text.contains("! = breached"))
        #expect(OperatorText.rollouts(.init(rollouts: []), now: F.now) == "no rollouts\n")
    }

    @Test func rolloutDetailShowsEachServer() {
        let r = F.rollout(
            state: "failed", breached: true, failed: 1, timedOut: 1, offline: 1,
            lines: [
                ("web-01", 1, "healthy", nil), ("web-02", 1, "failed", "health check exited 1"),
                ("web-03", 2, "timedOut", "no healthy report within 2m"), ("web-04", 2, "offline", nil),
                ("web-05", 3, "waiting", nil),
            ])
        let text = OperatorText.rollout(r, now: F.now)
        #expect(text.contains("rollout  #12"))
        #expect(text.contains("state    failed, wave 2/4"))
        #expect(text.contains("started  3m ago"))
        #expect(text.contains("failed 1, timed out 1, offline 1"))
        #expect(text.contains("!! BREACHED"))
        #expect(Self.cell(text, row: 1, column: "STATUS") == "failed")
        #expect(Self.cell(text, row: 2, column: "STATUS") == "timed-out")
        #expect(Self.cell(text, row: 3, column: "STATUS") == "offline")
        #expect(Self.cell(text, row: 2, column: "WAVE") == "2")
        let lines = text.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("web-02") && $0.hasSuffix("health check exited 1") })
    }

    @Test func statusShowsHeldAndStale() {
        let status = F.status(
            services: [
                F.service("web", rollout: F.rollout()),
                F.service(
                    "db", held: "bundle of 1a2b3c4 failed in rollout 9 (web-02: health check exited 1)",
                    rollout: F.rollout(id: "9", service: "db", state: "reverted", endedAt: F.now - 60_000)),
                F.service("cache"),
            ], fetchError: "connection refused by 127.0.0.1:9418")
        let text = OperatorText.status(status)
        #expect(text.contains("branch   main at 0123456"))
        #expect(text.contains("fetched  3s ago"))
        #expect(text.contains("!! STALE: the last fetch failed (since 3s ago); showing 0123456: connection refused"))
        #expect(text.contains("servers  18 (17 agents connected)"))
        #expect(Self.cell(text, row: 0, column: "STATE") == "verifying")
        #expect(Self.cell(text, row: 0, column: "WAVE") == "2/4")
        #expect(Self.cell(text, row: 0, column: "HEALTHY") == "17/18")
        #expect(Self.cell(text, row: 0, column: "LAST") == "9876543")
        #expect(Self.cell(text, row: 1, column: "STATE") == "HELD")
        #expect(Self.cell(text, row: 2, column: "ROLLOUT") == "-")
        #expect(text.contains("!! db is HELD: bundle of 1a2b3c4 failed in rollout 9 (web-02: health check exited 1)"))
        #expect(text.contains("tide release db abcdef0"))
        #expect(!text.contains("web is HELD"))
        let fresh = OperatorText.status(F.status(services: [F.service("web")]))
        #expect(!fresh.contains("STALE"))
    }

    @Test func historyReadsLikeGitLogOneline() {
        let history = OperatorAPI.History(revisions: [
            .init(
                revision: "1111111aaaa", subject: "Revert \"Raise workers\"", author: "Tide", time: F.now - 30_000,
                rollouts: [.init(service: "web", rollout: "13", state: "succeeded")]),
            .init(
                revision: "2222222bbbb", subject: "Raise workers", author: "Ann Lee", time: F.now - 600_000,
                rollouts: [
                    .init(service: "web", rollout: "12", state: "reverted"),
                    .init(service: "api", rollout: "11", state: "succeeded"),
                ]),
            .init(revision: "3333333cccc", subject: "Docs only", author: "Bo", time: F.now - 7_200_000, rollouts: []),
        ])
        let lines = OperatorText.history(history, now: F.now).split(separator: "\n").map(String.init)
        #expect(lines[0] == "1111111  30s ago  Tide     Revert \"Raise workers\"")
        #expect(lines[1] == "         web  #13  succeeded")
        #expect(lines[2] == "2222222  10m ago  Ann Lee  Raise workers")
        #expect(lines[3] == "         web  #12  REVERTED")
        #expect(lines[4] == "         api  #11  succeeded")
        #expect(lines[5] == "3333333  2h ago   Bo       Docs only")
        #expect(lines.count == 6)
    }

    @Test func auditShowsWhoAndFromTo() {
        let audit = OperatorAPI.Audit(entries: [
            .init(
                seq: 2, at: F.now - 5_000, actor: "alice", action: "pause", service: "web", fromRevision: nil,
                toRevision: nil, detail: "rollout 12 paused"),
            .init(
                seq: 1, at: F.now - 120_000, actor: "tide", action: "revert", service: "web",
                fromRevision: "abcdef0123", toRevision: "1234567890", detail: "breach in wave 1"),
        ])
        let text = OperatorText.audit(audit, now: F.now)
        let header = text.split(separator: "\n")[0]
        #expect(header.split(separator: " ") == ["TIME", "ACTOR", "ACTION", "SERVICE", "FROM→TO", "DETAIL"])
        #expect(Self.cell(text, row: 1, column: "FROM→TO") == "abcdef0→1234567")
        #expect(Self.cell(text, row: 0, column: "FROM→TO") == "-")
        #expect(Self.cell(text, row: 0, column: "ACTOR") == "alice")
        #expect(Self.cell(text, row: 1, column: "TIME") == "2m")
        #expect(text.split(separator: "\n")[2].hasSuffix("breach in wave 1"))
    }

    @Test func serversShowSyncAndPhase() {
        let servers = OperatorAPI.Servers(servers: [
            .init(
                server: "web-01", labels: ["zone": "a"], lastSeen: F.now - 2_000,
                services: [
                    .init(
                        service: "web", targetBundle: "b1b1b1b1b1", targetRevision: "abcdef0123", reportedBundle: "b1b1b1b1b1",
                        phase: "healthy", detail: nil, reportedAt: F.now - 2_000)
                ]),
            .init(
                server: "web-02", labels: [:], lastSeen: nil,
                services: [
                    .init(
                        service: "web", targetBundle: "b2b2b2b2b2", targetRevision: "abcdef0123", reportedBundle: "b0b0b0b0",
                        phase: "failed", detail: "reload exited 3", reportedAt: nil)
                ]),
        ])
        let text = OperatorText.servers(servers, now: F.now)
        #expect(Self.cell(text, row: 0, column: "IN") == "yes")
        #expect(Self.cell(text, row: 1, column: "IN") == "no")
        #expect(Self.cell(text, row: 1, column: "SEEN") == "never")
        #expect(Self.cell(text, row: 1, column: "PHASE") == "failed")
        #expect(text.split(separator: "\n")[2].hasSuffix("reload exited 3"))
        #expect(text.split(separator: "\n")[1].hasSuffix("healthy"), "no trailing spaces after an empty last cell")
    }
}
