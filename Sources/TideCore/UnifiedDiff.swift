/// A unified diff (`diff -u` style, 3 lines of context) of two versions of a file, in pure Swift.
public enum UnifiedDiff {
    /// True when `bytes` look binary: a NUL byte, or not valid UTF-8.
    public static func isBinary(_ bytes: [UInt8]) -> Bool {
        if bytes.contains(0) { return true }
        return String(validating: bytes, as: UTF8.self) == nil
    }

    /// The diff of `old` to `new` (nil: the file does not exist on that side), labelled with `path`.
    /// Binary content gives `Binary files a/... and b/... differ`; identical content gives "".
    public static func make(old: [UInt8]?, new: [UInt8]?, path: String, context: Int = 3) -> String {
        if old == new { return "" }
        let label = path.hasPrefix("/") ? String(path.dropFirst()) : path
        let oldLabel = old == nil ? "/dev/null" : "a/\(label)"
        let newLabel = new == nil ? "/dev/null" : "b/\(label)"
        if isBinary(old ?? []) || isBinary(new ?? []) {
            return "Binary files \(oldLabel) and \(newLabel) differ\n"
        }
        let a = lines(old ?? [])
        let b = lines(new ?? [])
        let script = edits(a.map(\.text), b.map(\.text))
        var out = "--- \(oldLabel)\n+++ \(newLabel)\n"
        for hunk in hunks(script, context: context) {
            let oldStart = hunk.oldCount == 0 ? hunk.oldStart : hunk.oldStart + 1
            let newStart = hunk.newCount == 0 ? hunk.newStart : hunk.newStart + 1
            out += "@@ -\(range(oldStart, hunk.oldCount)) +\(range(newStart, hunk.newCount)) @@\n"
            for edit in hunk.edits {
                switch edit {
                case .keep(let i, _):
                    out += " " + a[i].text + "\n"
                    if !a[i].newline { out += "\\ No newline at end of file\n" }
                case .delete(let i):
                    out += "-" + a[i].text + "\n"
                    if !a[i].newline { out += "\\ No newline at end of file\n" }
                case .insert(let j):
                    out += "+" + b[j].text + "\n"
                    if !b[j].newline { out += "\\ No newline at end of file\n" }
                }
            }
        }
        return out
    }

    static func range(_ start: Int, _ count: Int) -> String { count == 1 ? "\(start)" : "\(start),\(count)" }

    struct Line {
        var text: String
        var newline: Bool
    }

    static func lines(_ bytes: [UInt8]) -> [Line] {
        var out: [Line] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
            out.append(Line(text: String(decoding: bytes[start..<i], as: UTF8.self), newline: true))
            start = i + 1
        }
        if start < bytes.count {
            out.append(Line(text: String(decoding: bytes[start...], as: UTF8.self), newline: false))
        }
        return out
    }

    enum Edit: Equatable {
        case keep(Int, Int)
        case delete(Int)
        case insert(Int)
    }

    /// Above this many differences the script is "replace the middle" rather than the shortest one,
    /// which bounds time and memory (the trace grows with the square of the differences).
    static let maxDifferences = 2000

    /// The shortest edit script (Myers' O(ND) algorithm) after trimming the common prefix and suffix.
    static func edits(_ a: [String], _ b: [String]) -> [Edit] {
        var ids: [String: Int] = [:]
        func intern(_ s: String) -> Int {
            if let id = ids[s] { return id }
            let id = ids.count
            ids[s] = id
            return id
        }
        let x = a.map(intern)
        let y = b.map(intern)
        var prefix = 0
        while prefix < x.count, prefix < y.count, x[prefix] == y[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < x.count - prefix, suffix < y.count - prefix, x[x.count - 1 - suffix] == y[y.count - 1 - suffix] {
            suffix += 1
        }
        var script: [Edit] = (0..<prefix).map { .keep($0, $0) }
        let midX = Array(x[prefix..<(x.count - suffix)])
        let midY = Array(y[prefix..<(y.count - suffix)])
        if let middle = myers(midX, midY) {
            for edit in middle {
                switch edit {
                case .keep(let i, let j): script.append(.keep(i + prefix, j + prefix))
                case .delete(let i): script.append(.delete(i + prefix))
                case .insert(let j): script.append(.insert(j + prefix))
                }
            }
        } else {
            script += (0..<midX.count).map { .delete($0 + prefix) }
            script += (0..<midY.count).map { .insert($0 + prefix) }
        }
        script += (0..<suffix).map { .keep(x.count - suffix + $0, y.count - suffix + $0) }
        return script
    }

    /// Myers' algorithm; nil when there are more than `maxDifferences` differences.
    static func myers(_ x: [Int], _ y: [Int]) -> [Edit]? {
        let n = x.count, m = y.count
        if n == 0 { return (0..<m).map { .insert($0) } }
        if m == 0 { return (0..<n).map { .delete($0) } }
        let maxD = min(n + m, maxDifferences)
        let offset = maxD + 1
        var v = [Int](repeating: 0, count: 2 * maxD + 4)
        // trace[d] holds v[k] for k in -(d+1)...(d+1) as it was before step d.
        var trace: [[Int]] = []
        var done = false
        for d in 0...maxD {
            trace.append(Array(v[(offset - d - 1)...(offset + d + 1)]))
            var k = -d
            while k <= d {
                var px: Int
                if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                    px = v[offset + k + 1]
                } else {
                    px = v[offset + k - 1] + 1
                }
                var py = px - k
                while px < n, py < m, x[px] == y[py] {
                    px += 1
                    py += 1
                }
                v[offset + k] = px
                if px >= n, py >= m {
                    done = true
                    break
                }
                k += 2
            }
            if done { break }
        }
        guard done else { return nil }
        var script: [Edit] = []
        var px = n, py = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let vd = trace[d]
            func at(_ k: Int) -> Int { vd[k + d + 1] }
            let k = px - py
            if d == 0 {
                while px > 0, py > 0 {
                    px -= 1
                    py -= 1
                    script.append(.keep(px, py))
                }
                break
            }
            let prevK = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? k + 1 : k - 1
            let prevX = at(prevK)
            let prevY = prevX - prevK
            while px > prevX, py > prevY {
                px -= 1
                py -= 1
                script.append(.keep(px, py))
            }
            script.append(prevK == k + 1 ? .insert(prevY) : .delete(prevX))
            px = prevX
            py = prevY
        }
        return script.reversed()
    }

    struct Hunk {
        var oldStart: Int
        var oldCount: Int
        var newStart: Int
        var newCount: Int
        var edits: [Edit]
    }

    /// Groups changes with `context` unchanged lines around them; nearby groups merge.
    static func hunks(_ script: [Edit], context: Int) -> [Hunk] {
        let changed = script.indices.filter { if case .keep = script[$0] { return false } else { return true } }
        guard !changed.isEmpty else { return [] }
        var groups: [(Int, Int)] = []
        var start = max(0, changed[0] - context)
        var end = min(script.count - 1, changed[0] + context)
        for index in changed.dropFirst() {
            if index - context <= end + 1 {
                end = min(script.count - 1, index + context)
            } else {
                groups.append((start, end))
                start = max(0, index - context)
                end = min(script.count - 1, index + context)
            }
        }
        groups.append((start, end))
        var out: [Hunk] = []
        for (s, e) in groups {
            let edits = Array(script[s...e])
            // Old/new line index before the first edit of the hunk.
            var oldLine = 0, newLine = 0
            for edit in script[..<s] {
                switch edit {
                case .keep: oldLine += 1; newLine += 1
                case .delete: oldLine += 1
                case .insert: newLine += 1
                }
            }
            var oldCount = 0, newCount = 0
            for edit in edits {
                switch edit {
                case .keep: oldCount += 1; newCount += 1
                case .delete: oldCount += 1
                case .insert: newCount += 1
                }
            }
            out.append(Hunk(oldStart: oldLine, oldCount: oldCount, newStart: newLine, newCount: newCount, edits: edits))
        }
        return out
    }
}
