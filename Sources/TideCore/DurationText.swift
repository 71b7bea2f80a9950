/// Durations as people write them in config and flags: `500ms`, `30s`, `5m`, `1h`, `1m30s`, `0s`.
public enum DurationText {
    /// Parses `text`; nil when it is not a duration. Units: ms, s, m, h; parts may be combined (`1h30m`).
    public static func parse(_ text: String) -> Duration? {
        var millis: Int64 = 0
        var digits = ""
        var chars = Array(text)
        guard !chars.isEmpty else { return nil }
        var i = 0
        var sawPart = false
        while i < chars.count {
            let c = chars[i]
            if c.isASCII, c.isNumber {
                digits.append(c)
                i += 1
                continue
            }
            guard !digits.isEmpty, let value = Int64(digits) else { return nil }
            let unit: Int64
            if c == "m", i + 1 < chars.count, chars[i + 1] == "s" {
                unit = 1
                i += 2
            } else if c == "s" {
                unit = 1000
                i += 1
            } else if c == "m" {
                unit = 60_000
                i += 1
            } else if c == "h" {
                unit = 3_600_000
                i += 1
            } else {
                return nil
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            millis += product
            digits = ""
            sawPart = true
        }
        chars.removeAll()
        if !digits.isEmpty {
            // A bare number is only accepted when it is zero ("0").
            guard digits == "0" || digits.allSatisfy({ $0 == "0" }) else { return nil }
            sawPart = true
        }
        return sawPart ? .milliseconds(millis) : nil
    }

    /// The shortest text that parses back to `duration` (`90s` → `1m30s`).
    public static func format(_ duration: Duration) -> String {
        var ms = duration.milliseconds
        if ms == 0 { return "0s" }
        var out = ""
        if ms < 0 {
            out = "-"
            ms = -ms
        }
        let h = ms / 3_600_000
        ms %= 3_600_000
        let m = ms / 60_000
        ms %= 60_000
        let s = ms / 1000
        ms %= 1000
        if h > 0 { out += "\(h)h" }
        if m > 0 { out += "\(m)m" }
        if s > 0 { out += "\(s)s" }
        if ms > 0 { out += "\(ms)ms" }
        return out
    }
}

extension Duration {
    /// Whole milliseconds (truncated).
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
