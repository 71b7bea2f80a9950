import Foundation

/// Figures of one `make bench` run, written as bench/results/<date>.md and .json.
struct BenchResults: Codable {
    /// One measured figure, with the target it is held to (if any) and how to re-run it.
    struct Figure: Codable {
        var key: String
        var servers: Int?
        var label: String
        var value: Double
        var unit: String
        /// The target: the value must be at most this (nil: no target, reported for comparison).
        var atMost: Double?
        var rerun: String

        var met: Bool? { atMost.map { value <= $0 } }
    }

    var date: String
    var commit: String
    var machine: String
    var figures: [Figure] = []
    var ratios: [String] = []
    var notes: [String] = []

    init() {
        let formatter = ISO8601DateFormatter()
        date = formatter.string(from: Date())
        commit = (try? BenchChild.run("/usr/bin/git", ["rev-parse", "--short", "HEAD"]))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
            .joined(separator: " ") ?? "?"
        let memory = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))?.split(separator: "\n").first
            .map { String($0.split(separator: " ").dropFirst().first ?? "?") } ?? "?"
        machine = "\(ProcessInfo.processInfo.activeProcessorCount) cores, MemTotal \(memory) kB, load average at start \(load)"
    }

    mutating func add(
        _ key: String, servers: Int?, _ label: String, _ value: Double, _ unit: String, atMost: Double? = nil, rerun: String
    ) {
        figures.append(Figure(key: key, servers: servers, label: label, value: value, unit: unit, atMost: atMost, rerun: rerun))
        let target = atMost.map { String(format: " (target ≤ %g %@: %@)", $0, unit, value <= $0 ? "met" : "MISSED") } ?? ""
        print(String(format: "fleet: %@%@: %.3f %@%@", servers.map { "N=\($0) " } ?? "", label, value, unit, target))
    }

    /// Writes `<directory>/<day><suffix>.md` and `.json`; returns the markdown path.
    func write(to directory: String, suffix: String = "") throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let day = String(date.prefix(10)) + suffix
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: "\(directory)/\(day).json"))
        var md = "# Fleet benchmark, \(date)\n\nCommit \(commit); \(machine).\n\n"
        md += "Re-run: `make bench ARGS=fleet` (both sizes) or `TIDE_BENCH_SERVERS=1000 make bench ARGS=fleet` (one size, written to <date>-n1000.md).\n\n"
        md += "| N | figure | value | target | |\n| ---: | --- | ---: | ---: | --- |\n"
        for f in figures {
            let target = f.atMost.map { String(format: "≤ %g %@", $0, f.unit) } ?? ""
            let verdict = f.met.map { $0 ? "met" : "**missed**" } ?? ""
            md += "| \(f.servers.map(String.init) ?? "") | \(f.label) | \(String(format: "%.3f", f.value)) \(f.unit) | \(target) | \(verdict) |\n"
        }
        if !ratios.isEmpty { md += "\n## Ratios (same run)\n\n" + ratios.map { "- \($0)\n" }.joined() }
        if !notes.isEmpty { md += "\n## Notes\n\n" + notes.map { "- \($0)\n" }.joined() }
        md += "\n## How each figure is taken\n\n" + FleetBench.method + "\n"
        let path = "\(directory)/\(day).md"
        try Data(md.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}
