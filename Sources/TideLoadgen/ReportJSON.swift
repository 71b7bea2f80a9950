import TideCore

/// Writes a report body by hand: thousands of agents report at once, and this is a few string
/// appends instead of a JSONEncoder per POST. Same JSON as `AgentProtocol.Report`.
enum ReportJSON {
    static func encode(_ reports: [AgentProtocol.ServiceReport]) -> [UInt8] {
        var out = "{\"services\":["
        for (i, r) in reports.enumerated() {
            if i > 0 { out += "," }
            out += "{\"service\":\(quote(r.service)),\"bundle\":\(quote(r.bundle)),\"phase\":\"\(r.phase.rawValue)\""
            if let revision = r.revision { out += ",\"revision\":\(quote(revision))" }
            if let detail = r.detail { out += ",\"detail\":\(quote(detail))" }
            out += "}"
        }
        out += "]}"
        return Array(out.utf8)
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
