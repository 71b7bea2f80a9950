/// One named metric family that the registry renders in the Prometheus text format.
protocol MetricFamily: AnyObject, Sendable {
    var name: String { get }
    var help: String { get }
    var labelNames: [String] { get }
    /// `counter`, `gauge` or `histogram`.
    var typeName: String { get }
    /// Appends the sample lines (not HELP/TYPE) to `out`.
    func renderSamples(into out: inout String)
}

/// The Prometheus text format 0.0.4: names, escaping and numbers.
enum MetricText {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    static func isValidMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        guard isLetter(first) || first == "_" || first == ":" else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) || $0 == "_" || $0 == ":" }
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
    static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !name.hasPrefix("__") else { return false }
        guard isLetter(first) || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || isDigit($0) || $0 == "_" }
    }

    private static func isLetter(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("A"..."Z").contains(s) }
    private static func isDigit(_ s: Unicode.Scalar) -> Bool { ("0"..."9").contains(s) }

    /// HELP text: backslash and newline escaped.
    static func escapeHelp(_ text: String) -> String {
        var out = ""
        for ch in text.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// A label value: backslash, double quote and newline escaped.
    static func escapeLabelValue(_ text: String) -> String {
        var out = ""
        for ch in text.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// A sample value or `le` bound: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v == .infinity { return "+Inf" }
        if v == -.infinity { return "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// `{a="x",b="y"}`, or "" without labels.
    static func labelSet(_ names: [String], _ values: [String], extra: (String, String)? = nil) -> String {
        var parts: [String] = []
        for (n, v) in zip(names, values) { parts.append("\(n)=\"\(escapeLabelValue(v))\"") }
        if let extra { parts.append("\(extra.0)=\"\(escapeLabelValue(extra.1))\"") }
        return parts.isEmpty ? "" : "{" + parts.joined(separator: ",") + "}"
    }

    /// Orders series by their label values, so the output is stable.
    static func sortedKeys<V>(_ dict: [[String]: V]) -> [[String]] {
        dict.keys.sorted { $0.lexicographicallyPrecedes($1) }
    }
}
