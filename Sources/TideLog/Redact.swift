/// Strips secrets from text before it is logged or shown: credentials in URLs, bearer and basic
/// authorization values, secret query parameters, and the values of secret headers and fields.
public enum Redact {
    /// What a secret is replaced with.
    public static let mask = "***"

    /// Whether a log field or JSON key names a secret (`token`, `password`, `agent_token`, ...).
    /// `token_name` and `*_file` keys are not secrets (a token's name, a path).
    public static func isSecretKey(_ key: String) -> Bool {
        let k = key.lowercased().replacingOccurrences(of: "-", with: "_")
        if k.hasSuffix("_file") || k.hasSuffix("_name") || k.hasSuffix("_path") { return false }
        let exact: Set<String> = [
            "token", "password", "passwd", "secret", "authorization", "cookie", "set_cookie", "signature",
            "credentials", "credential", "api_key", "apikey", "private_key", "bearer",
        ]
        if exact.contains(k) { return true }
        return ["_token", "_password", "_secret", "_signature", "_credentials", "_api_key", "_private_key"].contains {
            k.hasSuffix($0)
        }
    }

    /// Whether an HTTP header carries a secret (Authorization, Cookie, forge tokens and signatures).
    public static func isSecretHeader(_ name: String) -> Bool {
        let n = name.lowercased()
        let exact: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie"]
        return exact.contains(n) || n.contains("token") || n.contains("secret") || n.contains("signature")
            || n.contains("api-key") || n.contains("password")
    }

    /// Headers with every secret header's value replaced by `mask`.
    public static func headers(_ headers: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in headers { out[k] = isSecretHeader(k) ? mask : text(v) }
        return out
    }

    /// One URL without its secrets: `https://user:pass@host/x` → `https://user:***@host/x`,
    /// `https://TOKEN@host/x` → `https://***@host/x` (a lone user is kept for ssh), and secret
    /// query parameters (`?access_token=...`) masked.
    public static func url(_ url: String) -> String { text(url) }

    /// Free text (an error message, a path, a field value) with every secret masked.
    public static func text(_ input: String) -> String {
        var b = Array(input.utf8)
        guard !b.isEmpty else { return input }
        var changed = false
        changed = redactURLCredentials(&b) || changed
        changed = redactAuthorization(&b) || changed
        changed = redactSecretParameters(&b) || changed
        return changed ? String(decoding: b, as: UTF8.self) : input
    }

    // MARK: - scanners over UTF-8 bytes (every delimiter is ASCII, so cuts never split a character)

    private static let maskBytes = Array(mask.utf8)

    private static func isDelimiter(_ c: UInt8) -> Bool {
        c <= 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") || c == UInt8(ascii: "<") || c == UInt8(ascii: ">")
            || c == UInt8(ascii: "`") || c == 0x7f
    }

    private static func lower(_ c: UInt8) -> UInt8 { (c >= 65 && c <= 90) ? c + 32 : c }

    private static func matches(_ b: [UInt8], at i: Int, _ word: String) -> Bool {
        let w = Array(word.utf8)
        guard i + w.count <= b.count else { return false }
        for j in 0..<w.count where lower(b[i + j]) != w[j] { return false }
        return true
    }

    /// `scheme://userinfo@host` → userinfo masked (user kept with a password, or for ssh).
    private static func redactURLCredentials(_ b: inout [UInt8]) -> Bool {
        var changed = false
        var i = 0
        while i + 3 <= b.count {
            guard b[i] == UInt8(ascii: ":"), i + 2 < b.count, b[i + 1] == UInt8(ascii: "/"), b[i + 2] == UInt8(ascii: "/")
            else {
                i += 1
                continue
            }
            var schemeStart = i
            while schemeStart > 0, isSchemeChar(b[schemeStart - 1]) { schemeStart -= 1 }
            let scheme = String(decoding: b[schemeStart..<i], as: UTF8.self).lowercased()
            let start = i + 3
            var end = start
            while end < b.count, !isDelimiter(b[end]), b[end] != UInt8(ascii: "/"), b[end] != UInt8(ascii: "?"),
                b[end] != UInt8(ascii: "#")
            {
                end += 1
            }
            guard let at = b[start..<end].lastIndex(of: UInt8(ascii: "@")) else {
                i = end
                continue
            }
            let userinfo = Array(b[start..<at])
            var replacement: [UInt8]
            if let colon = userinfo.firstIndex(of: UInt8(ascii: ":")) {
                replacement = Array(userinfo[..<colon]) + [UInt8(ascii: ":")] + maskBytes
            } else if scheme.hasPrefix("ssh") || scheme.hasSuffix("+ssh") {
                replacement = userinfo
            } else {
                replacement = maskBytes
            }
            if replacement != userinfo {
                b.replaceSubrange(start..<at, with: replacement)
                changed = true
            }
            i = start + replacement.count + 1
        }
        return changed
    }

    private static func isSchemeChar(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == UInt8(ascii: "+")
            || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
    }

    /// `Authorization: <anything to end of line>`, `Bearer <token>`, `Basic <token>`.
    private static func redactAuthorization(_ b: inout [UInt8]) -> Bool {
        var changed = false
        var i = 0
        while i < b.count {
            var valueStart: Int?
            var toEndOfLine = false
            if matches(b, at: i, "authorization:") {
                valueStart = i + "authorization:".count
                toEndOfLine = true
            } else if (i == 0 || !isWordChar(b[i - 1])), matches(b, at: i, "bearer ") {
                valueStart = i + "bearer ".count
            } else if (i == 0 || !isWordChar(b[i - 1])), matches(b, at: i, "basic ") {
                valueStart = i + "basic ".count
            }
            guard var start = valueStart else {
                i += 1
                continue
            }
            while start < b.count, b[start] == UInt8(ascii: " ") { start += 1 }
            var end = start
            if toEndOfLine {
                while end < b.count, b[end] != UInt8(ascii: "\n"), b[end] != UInt8(ascii: "\r") { end += 1 }
            } else {
                while end < b.count, !isDelimiter(b[end]), b[end] != UInt8(ascii: ",") { end += 1 }
            }
            // `basic ` in prose ("basic auth") is only masked when a token-like word follows.
            if end > start, Array(b[start..<end]) != maskBytes, toEndOfLine || end - start >= 8 {
                b.replaceSubrange(start..<end, with: maskBytes)
                changed = true
                i = start + maskBytes.count
            } else {
                i = max(end, i + 1)
            }
        }
        return changed
    }

    private static func isWordChar(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == UInt8(ascii: "_")
    }

    /// `name=value` where name is a secret key (`token`, `access_token`, `password`, `sig`, ...).
    private static func redactSecretParameters(_ b: inout [UInt8]) -> Bool {
        var changed = false
        var i = 0
        while i < b.count {
            guard b[i] == UInt8(ascii: "=") else {
                i += 1
                continue
            }
            var keyStart = i
            while keyStart > 0, isWordChar(b[keyStart - 1]) || b[keyStart - 1] == UInt8(ascii: "-") { keyStart -= 1 }
            let key = String(decoding: b[keyStart..<i], as: UTF8.self)
            let start = i + 1
            var end = start
            while end < b.count, !isDelimiter(b[end]), b[end] != UInt8(ascii: "&"), b[end] != UInt8(ascii: "#"),
                b[end] != UInt8(ascii: ";"), b[end] != UInt8(ascii: ",")
            {
                end += 1
            }
            if !key.isEmpty, isSecretKey(key) || key.lowercased() == "sig" || key.lowercased() == "key",
                end > start, Array(b[start..<end]) != maskBytes
            {
                b.replaceSubrange(start..<end, with: maskBytes)
                changed = true
                i = start + maskBytes.count
            } else {
                i = end > start ? end : i + 1
            }
        }
        return changed
    }
}
