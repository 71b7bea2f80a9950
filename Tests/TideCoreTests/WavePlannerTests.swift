import Testing

@testable import TideCore

@Suite struct WavePlannerTests {
    @Test func threeServersOnePercentFiftyHundred() {
        #expect(WavePlanner.cumulativeTargets(total: 3, waves: [.percent(1), .percent(50), .percent(100)]) == [1, 2, 3])
    }

    @Test func defaultWavesForOneTenThousand() {
        let waves = RolloutPolicy.defaultRollout.waves
        #expect(WavePlanner.cumulativeTargets(total: 1, waves: waves) == [1])
        #expect(WavePlanner.cumulativeTargets(total: 10, waves: waves) == [1, 5, 10])
        #expect(WavePlanner.cumulativeTargets(total: 1000, waves: waves) == [1, 100, 500, 1000])
    }

    @Test func lastWaveAlwaysReachesEveryone() {
        #expect(WavePlanner.cumulativeTargets(total: 7, waves: [.count(2)]) == [2, 7])
    }

    @Test func canariesFirstThenZonesInterleaved() {
        var servers: [Server] = []
        for zone in ["a", "b", "c"] {
            for i in 0..<3 { servers.append(Server(name: "web-\(zone)\(i)", labels: ["zone": zone])) }
        }
        servers[4].labels["canary"] = "true"
        let policy = RolloutPolicy(first: ["canary": "true"], spreadBy: "zone")
        let order = WavePlanner.order(servers, policy: policy, salt: "web")
        #expect(order[0].name == "web-b1")
        let zones = order.dropFirst().map { $0.labels["zone"]! }
        // After the canary, zones alternate: no two neighbours share a zone until one zone runs out.
        #expect(zones[0] != zones[1] && zones[1] != zones[2])
        #expect(WavePlanner.order(servers.reversed(), policy: policy, salt: "web") == order)
    }

    @Test func sha256KnownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex(String(repeating: "a", count: 1000))
                == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test func durationText() {
        #expect(DurationText.parse("500ms") == .milliseconds(500))
        #expect(DurationText.parse("1m30s") == .seconds(90))
        #expect(DurationText.parse("1h") == .seconds(3600))
        #expect(DurationText.parse("0") == .zero)
        #expect(DurationText.parse("5") == nil)
        #expect(DurationText.parse("5x") == nil)
        #expect(DurationText.format(.seconds(90)) == "1m30s")
    }

    /// The order by digest words is the order by the digest's hex text, as it always was (stable across
    /// versions: a restarted controller orders the same servers the same way).
    @Test func digestWordsSortAsTheHexKeys() {
        let names = (0..<3000).map { "srv-\($0 * 7919 % 10007)" }
        for salt in ["web", "base", "svc-07"] {
            let byHex = names.sorted { WavePlanner.stableKey($0, salt: salt) < WavePlanner.stableKey($1, salt: salt) }
            let byWords = names.sorted { WavePlanner.stableWords($0, salt: salt) < WavePlanner.stableWords($1, salt: salt) }
            #expect(byHex == byWords, "salt \(salt)")
        }
    }
}
