/// The plan as a person reads it in a terminal or a pull request comment.
extension Plan {
    /// At most this many distinct diffs of one target are printed; the rest are counted (see `--json`).
    public static let diffsShownPerTarget = 3

    /// Per service: its waves with their servers, then each changed file with its diff.
    public var text: String {
        guard !services.isEmpty else { return "no changes: every server keeps the bundles it has\n" }
        var out = ""
        for plan in services {
            let count = plan.affected
            out += "service \(plan.service): \(plan.change.rawValue), \(count) server\(count == 1 ? "" : "s")"
            out += " in \(plan.waves.count) wave\(plan.waves.count == 1 ? "" : "s")\n"
            var total = 0
            for (i, wave) in plan.waves.enumerated() {
                total += wave.count
                out += "  wave \(i + 1) (+\(wave.count), \(total)/\(count)): \(wave.joined(separator: ", "))\n"
            }
            for note in plan.notes { out += "  \(note)\n" }
            var shown: [String: Int] = [:]
            var hidden: [String: (variants: Int, servers: Int)] = [:]
            for file in plan.files {
                let n = shown[file.target, default: 0]
                guard n < Plan.diffsShownPerTarget else {
                    hidden[file.target, default: (0, 0)].variants += 1
                    hidden[file.target, default: (0, 0)].servers += file.servers.count
                    continue
                }
                shown[file.target] = n + 1
                out += "  \(file.kind.rawValue) \(file.target) on \(Plan.describe(file.servers, of: count))"
                if let a = file.oldMode, let b = file.newMode, a != b {
                    out += ", mode 0\(String(a, radix: 8)) → 0\(String(b, radix: 8))"
                }
                out += "\n"
                for line in file.diff.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                    out += "    \(line)\n"
                }
            }
            for target in hidden.keys.sorted() {
                let h = hidden[target]!
                out += "  ... and \(h.variants) more distinct change\(h.variants == 1 ? "" : "s") of \(target)"
                out += " on \(h.servers) server\(h.servers == 1 ? "" : "s") (templated; see --json)\n"
            }
            out += "\n"
        }
        return out
    }

    static func describe(_ servers: [String], of total: Int) -> String {
        if servers.count == total, total > 1 { return "all \(total) servers" }
        if servers.count <= 5 { return servers.joined(separator: ", ") }
        return "\(servers.count) servers (\(servers.prefix(3).joined(separator: ", ")), ...)"
    }
}
