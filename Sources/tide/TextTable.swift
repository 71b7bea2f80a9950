/// Aligned columns for human output, like `kubectl get`: a header row in capitals, two spaces apart.
struct TextTable {
    private var rows: [[String]]

    init(header: [String]) { rows = [header.map { $0.uppercased() }] }

    mutating func add(_ row: [String]) { rows.append(row) }

    var isEmpty: Bool { rows.count <= 1 }

    func render() -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// "3s ago", "5m ago", "2h ago", "4d ago", like `kubectl` and `git log --date=relative`.
func relativeTime(_ then: Double, now: Double) -> String {
    let seconds = Int(now - then)
    if seconds < 0 { return "just now" }
    if seconds < 60 { return "\(seconds)s ago" }
    if seconds < 3600 { return "\(seconds / 60)m ago" }
    if seconds < 86400 { return "\(seconds / 3600)h ago" }
    return "\(seconds / 86400)d ago"
}

/// The first 7 characters of a SHA, as `git log --oneline` shows it.
func shortSHA(_ sha: String?) -> String { sha.map { String($0.prefix(7)) } ?? "-" }
