/// The plan as a person reads it in a terminal or a pull request comment.
extension Plan {
    /// Per service: its waves with their servers, then each changed file with its diff.
    public var text: String {
        guard !services.isEmpty else { return "no changes: every server keeps the bundles it has\n" }
        var out = ""
        for plan in services {
            let count = plan.affected
            out += "service \(plan.service): \(plan.change.rawValue), \(count) server\(count == 1 ? "" : "s") in \(plan.waves.count) wave\(plan.waves.count == 1 ? "" : "s")\n"
            var total = 0
            for (i, wave) in plan.waves.enumerated() {
                total += wave.count
                out += "  wave \(i + 1) (+\(wave.count), \(total)/\(count)): \(wave.joined(separator: ", "))\n"
            }
            for note in plan.notes { out += "  \(note)\n" }
            for file in plan.files {
                let where_ = file.servers.count == count ? "all \(count) servers" : (file.servers.count <= 5 ? file.servers.joined(separator: ", ") : "\(file.servers.count) servers (\(file.servers.prefix(3).joined(separator: ", ")), ...)")
                out += "  \(file.kind.rawValue) \(file.target) on \(where_)"
                if let a = file.oldMode, let b = file.newMode, a != b {
                    out += ", mode 0\(String(a, radix: 8)) → 0\(String(b, radix: 8))"
                }
                out += "\n"
                for line in file.diff.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                    out += "    \(line)\n"
                }
            }
            out += "\n"
        }
        return out
    }
}
