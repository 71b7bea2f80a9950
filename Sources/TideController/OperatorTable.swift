/// Aligned columns for the operator texts, like `kubectl get`: a header row in capitals, two spaces apart.
struct OperatorTable {
    private var rows: [[String]]

    init(header: [String]) { rows = [header.map { $0.uppercased() }] }

    /// A table without a header row.
    init() { rows = [] }

    mutating func add(_ row: [String]) { rows.append(row) }

        /// The rows, each column padded to its widest cell; no line ends in spaces.
    func render(indent: String = "") -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            var line =
                indent
                + row.enumerated().map { i, cell in
                    i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}
