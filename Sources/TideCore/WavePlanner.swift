/// Orders a rollout's servers and cuts the order into waves (DESIGN.md "Rollout lifecycle").
public enum WavePlanner {
    /// Deterministic order: servers matching `policy.first`, then the rest; inside each group the
    /// values of `policy.spreadBy` are interleaved round-robin, ties broken by a stable hash of
    /// `salt` and the server name (so the order survives restarts and does not depend on input order).
    public static func order(_ servers: [Server], policy: RolloutPolicy, salt: String) -> [Server] {
        let preferred = policy.first.isEmpty ? [] : servers.filter { $0.matches(policy.first) }
        let preferredNames = Set(preferred.map(\.name))
        let rest = servers.filter { !preferredNames.contains($0.name) }
        return interleave(preferred, by: policy.spreadBy, salt: salt) + interleave(rest, by: policy.spreadBy, salt: salt)
    }

    /// Cumulative server counts per wave: rounded up, at least one, never more than `total`,
    /// strictly increasing (a step that adds nobody is dropped), and the last wave reaches everyone.
    public static func cumulativeTargets(total: Int, waves: [WaveSize]) -> [Int] {
        guard total > 0 else { return [] }
        var out: [Int] = []
        for wave in waves {
            let target = wave.cumulativeTarget(of: total)
            if let last = out.last, target <= last { continue }
            out.append(target)
        }
        if out.last != total { out.append(total) }
        return out
    }

    /// The servers of each wave (not cumulative: wave k holds only the servers it adds).
    public static func waves(_ servers: [Server], policy: RolloutPolicy, salt: String) -> [[Server]] {
        let ordered = order(servers, policy: policy, salt: salt)
        var result: [[Server]] = []
        var start = 0
        for target in cumulativeTargets(total: ordered.count, waves: policy.waves) {
            result.append(Array(ordered[start..<target]))
            start = target
        }
        return result
    }

    static func stableKey(_ name: String, salt: String) -> String { SHA256.hex("\(salt)\u{0}\(name)") }

    /// `stableKey` as four big-endian words: they sort as the hex text does (each byte is two hex digits,
    /// in order), without making and comparing 64-character strings for 10,000 servers.
    static func stableWords(_ name: String, salt: String) -> (UInt64, UInt64, UInt64, UInt64) {
        var hasher = SHA256()
        hasher.update("\(salt)\u{0}\(name)")
        let d = hasher.finalize()
        func word(_ i: Int) -> UInt64 { (0..<8).reduce(0) { $0 << 8 | UInt64(d[i * 8 + $1]) } }
        return (word(0), word(1), word(2), word(3))
    }

    static func interleave(_ servers: [Server], by label: String?, salt: String) -> [Server] {
        let keyed = servers.map { (server: $0, key: stableWords($0.name, salt: salt)) }
            .sorted { $0.key == $1.key ? $0.server.name < $1.server.name : $0.key < $1.key }
        guard let label else { return keyed.map(\.server) }
        var groups: [String: [Server]] = [:]
        for entry in keyed { groups[entry.server.labels[label] ?? "", default: []].append(entry.server) }
        let values = groups.keys.sorted()
        var out: [Server] = []
        out.reserveCapacity(servers.count)
        var round = 0
        while out.count < servers.count {
            for value in values where round < groups[value]!.count { out.append(groups[value]![round]) }
            round += 1
        }
        return out
    }
}
