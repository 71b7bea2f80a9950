import Foundation
import TideCore

/// Reading typed values out of YAML nodes, each failure a diagnostic that names the field.
extension ConfigLoader {
    mutating func error(_ at: SourcePosition, _ message: String) { diagnostics.append(.error(at, message)) }
    mutating func warning(_ at: SourcePosition, _ message: String) { diagnostics.append(.warning(at, message)) }

    /// The entries of a mapping by key, after reporting non-mappings, duplicate keys, unknown keys (with a
    /// "did you mean") and missing required keys. Nil when `node` is not a mapping.
    mutating func fields(
        _ node: YAMLNode, _ field: String, allowed: [String], required: [String] = []
    ) -> [String: YAMLNode]? {
        guard case .mapping(let entries) = node.content else {
            error(node.position, "\(field) must be a mapping (key: value), found \(node.kindDescription)")
            return nil
        }
        var out: [String: YAMLNode] = [:]
        var keyPositions: [String: SourcePosition] = [:]
        for (key, value) in entries {
            guard let name = key.scalar else {
                error(key.position, "\(field): a key must be a plain word, found \(key.kindDescription)")
                continue
            }
            if let first = keyPositions[name] {
                error(
                    key.position,
                    "duplicate key '\(name)' in \(field) (first at line \(first.line), column \(first.column))")
                continue
            }
            keyPositions[name] = key.position
            guard allowed.contains(name) else {
                var message = "unknown key '\(name)' in \(field)"
                if let guess = NearMiss.closest(to: name, among: allowed) {
                    message += "; did you mean '\(guess)'?"
                } else {
                    message += "; expected one of: " + allowed.joined(separator: ", ")
                }
                error(key.position, message)
                continue
            }
            out[name] = value
        }
        for name in required where out[name] == nil {
            if keyPositions[name] != nil { continue }
            error(node.position, "\(field): missing required key '\(name)'")
        }
        return out
    }

    /// A mapping whose keys are free (labels, selectors): keys and values are strings; duplicates reported.
    mutating func stringMap(_ node: YAMLNode, _ field: String) -> [String: String]? {
        guard case .mapping(let entries) = node.content else {
            error(node.position, "\(field) must be a mapping of label: value, found \(node.kindDescription)")
            return nil
        }
        var out: [String: String] = [:]
        var keyPositions: [String: SourcePosition] = [:]
        for (key, value) in entries {
            guard let name = key.scalar, !key.isNull else {
                error(key.position, "\(field): a label name must be text, found \(key.kindDescription)")
                continue
            }
            if let first = keyPositions[name] {
                error(
                    key.position,
                    "duplicate key '\(name)' in \(field) (first at line \(first.line), column \(first.column))")
                continue
            }
            keyPositions[name] = key.position
            if !ConfigLoader.isLabelName(name) {
                error(key.position, "\(field): label name '\(name)' must be letters, digits, '.', '_', '-' or '/'")
                continue
            }
            if let text = labelValue(value, "\(field).\(name)") { out[name] = text }
        }
        return out
    }

    static func isLabelName(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-/".unicodeScalars.contains($0)) }
    }

    /// A label value is always text. A plain `no`, `yes`, `on`, `off` stays that very word (YAML 1.1 would
    /// read a boolean; Tide never does) with a warning that quoting it makes the intent explicit.
    mutating func labelValue(_ node: YAMLNode, _ field: String) -> String? {
        guard let text = node.scalar, !node.isNull else {
            error(node.position, "\(field) must be text, found \(node.kindDescription)")
            return nil
        }
        if node.style == .plain, ConfigLoader.yaml11Booleans.contains(text) {
            warning(
                node.position,
                "\(field): plain \(text) is kept as the text \"\(text)\" (YAML 1.1 would read a boolean); write \"\(text)\" in quotes to say so")
        }
        return text
    }

    static let yaml11Booleans: Set<String> = ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"]

    /// Any non-null scalar, as written.
    mutating func string(_ node: YAMLNode, _ field: String, allowEmpty: Bool = false) -> String? {
        guard let text = node.scalar, !node.isNull else {
            error(node.position, "\(field) must be text, found \(node.kindDescription)")
            return nil
        }
        if !allowEmpty, text.trimmingCharacters(in: .whitespaces).isEmpty {
            error(node.position, "\(field) must not be empty")
            return nil
        }
        return text
    }

    mutating func bool(_ node: YAMLNode, _ field: String) -> Bool? {
        if let text = node.scalar, node.style == .plain || node.tag == "tag:yaml.org,2002:bool" {
            switch text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
            if ConfigLoader.yaml11Booleans.contains(text) {
                error(node.position, "\(field) must be true or false, found \(text) (a YAML 1.1 boolean; write true or false)")
                return nil
            }
        }
        error(node.position, "\(field) must be true or false, found \(node.kindDescription)")
        return nil
    }

    mutating func integer(_ node: YAMLNode, _ field: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = node.scalar, node.style == .plain, let value = Int(text) else {
            var message = "\(field) must be a whole number, found \(node.kindDescription)"
            if let text = node.scalar, node.style?.isQuoted == true, Int(text) != nil { message += " (remove the quotes)" }
            error(node.position, message)
            return nil
        }
        guard range.contains(value) else {
            error(node.position, "\(field) must be between \(range.lowerBound) and \(range.upperBound), found \(value)")
            return nil
        }
        return value
    }

    mutating func duration(_ node: YAMLNode, _ field: String, in range: ClosedRange<Duration>) -> Duration? {
        guard let text = node.scalar, !node.isNull, let value = DurationText.parse(text) else {
            error(
                node.position,
                "\(field) must be a duration such as 500ms, 30s, 5m or 1h, found \(node.kindDescription)")
            return nil
        }
        guard range.contains(value) else {
            error(
                node.position,
                "\(field) must be between \(DurationText.format(range.lowerBound)) and \(DurationText.format(range.upperBound)), found \(text)")
            return nil
        }
        return value
    }

    /// A percent written `10%` (or `2.5%`); nil when `text` is not a percent at all.
    static func percent(_ text: String) -> Double? {
        guard text.hasSuffix("%"), let value = Double(text.dropLast()), value.isFinite else { return nil }
        return value
    }

    mutating func waveSize(_ node: YAMLNode, _ field: String) -> WaveSize? {
        if let text = node.scalar, node.style == .plain, let n = Int(text) {
            guard n >= 1 else {
                error(node.position, "\(field) must be at least 1 server, found \(n)")
                return nil
            }
            return .count(n)
        }
        if let text = node.scalar, let p = ConfigLoader.percent(text) {
            guard p > 0, p <= 100 else {
                error(node.position, "\(field) must be a percent above 0% and at most 100%, found \(text)")
                return nil
            }
            return .percent(p)
        }
        error(node.position, "\(field) must be a server count (e.g. 1) or a percent (e.g. \"10%\"), found \(node.kindDescription)")
        return nil
    }

    mutating func threshold(_ node: YAMLNode, _ field: String) -> FailureThreshold? {
        if let text = node.scalar, node.style == .plain, let n = Int(text) {
            guard n >= 0 else {
                error(node.position, "\(field) must be 0 or more servers, found \(n)")
                return nil
            }
            return .count(n)
        }
        if let text = node.scalar, let p = ConfigLoader.percent(text) {
            guard p >= 0, p <= 100 else {
                error(node.position, "\(field) must be a percent from 0% to 100%, found \(text)")
                return nil
            }
            return .percent(p)
        }
        error(node.position, "\(field) must be a server count (e.g. 0) or a percent (e.g. \"5%\"), found \(node.kindDescription)")
        return nil
    }

    /// A file mode: quoted `"0644"`/`"644"`, or a plain YAML 1.1 octal `0644` (or YAML 1.2 `0o644`).
    /// A plain `644` is the decimal number 644 in YAML and is refused, as are digits 8 and 9.
    mutating func mode(_ node: YAMLNode, _ field: String) -> UInt32? {
        guard let text = node.scalar, !node.isNull else {
            error(node.position, "\(field) must be an octal file mode such as \"0644\", found \(node.kindDescription)")
            return nil
        }
        var digits = text
        if node.style == .plain {
            if text.hasPrefix("0o") {
                digits = String(text.dropFirst(2))
            } else if text.count > 1, text.hasPrefix("0") {
                digits = text
            } else if Int(text) != nil {
                error(
                    node.position,
                    "\(field): \(text) without a leading 0 is a decimal number in YAML, not an octal mode; write \"0\(text)\" (quoted) or 0\(text)")
                return nil
            }
        }
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            error(node.position, "\(field) must be an octal file mode such as \"0644\", found \(node.kindDescription)")
            return nil
        }
        guard digits.allSatisfy({ $0 >= "0" && $0 <= "7" }), let value = UInt32(digits, radix: 8) else {
            error(node.position, "\(field): \(text) is not an octal file mode (digits 8 and 9 do not exist in octal)")
            return nil
        }
        guard value <= 0o7777 else {
            error(node.position, "\(field): \(text) is above 07777, the largest file mode")
            return nil
        }
        return value
    }

    /// The items of a list, or nil with an error.
    mutating func list(_ node: YAMLNode, _ field: String) -> [YAMLNode]? {
        guard case .sequence(let items) = node.content else {
            error(node.position, "\(field) must be a list, found \(node.kindDescription)")
            return nil
        }
        return items
    }
}
