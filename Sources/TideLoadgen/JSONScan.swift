/// A cursor over JSON bytes for `DesiredCache`'s scan: literals, strings without escapes, any value
/// skipped, an object's `"id"` read.
struct JSONScan {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0

    init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    var peek: UInt8? { i < b.count ? b[i] : nil }

    /// Consumes `text` when the bytes at the cursor are exactly it.
    mutating func literal(_ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard i + n <= b.count else { return false }
        let p = text.utf8Start
        for k in 0..<n where b[i + k] != p[k] { return false }
        i += n
        return true
    }

    /// A string with no backslash in it (keys, SHAs, names), or nil.
    mutating func plainString() -> String? {
        guard peek == UInt8(ascii: "\"") else { return nil }
        let start = i + 1
        var j = start
        while j < b.count, b[j] != UInt8(ascii: "\"") {
            if b[j] == UInt8(ascii: "\\") { return nil }
            j += 1
        }
        guard j < b.count else { return nil }
        i = j + 1
        return String(decoding: UnsafeBufferPointer(rebasing: b[start..<j]), as: UTF8.self)
    }

    /// Skips a string, escapes and all.
    mutating func skipString() -> Bool {
        guard peek == UInt8(ascii: "\"") else { return false }
        var j = i + 1
        while j < b.count {
            if b[j] == UInt8(ascii: "\\") {
                j += 2
                continue
            }
            if b[j] == UInt8(ascii: "\"") {
                i = j + 1
                return true
            }
            j += 1
        }
        return false
    }

    /// Skips one value of any kind.
    mutating func skipValue() -> Bool {
        guard let c = peek else { return false }
        if c == UInt8(ascii: "\"") { return skipString() }
        if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
            var depth = 0
            while i < b.count {
                let x = b[i]
                if x == UInt8(ascii: "\"") {
                    guard skipString() else { return false }
                    continue
                }
                if x == UInt8(ascii: "{") || x == UInt8(ascii: "[") { depth += 1 }
                if x == UInt8(ascii: "}") || x == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return true
                    }
                }
                i += 1
            }
            return false
        }
        // A number, true, false or null: up to the next delimiter.
        let start = i
        while i < b.count, b[i] != UInt8(ascii: ","), b[i] != UInt8(ascii: "}"), b[i] != UInt8(ascii: "]") { i += 1 }
        return i > start
    }

    /// Skips one object, returning the value of its top-level `"id"` key (nil without one).
    mutating func objectID() -> String? {
        guard literal("{") else { return nil }
        var id: String?
        if literal("}") { return nil }
        while true {
            guard let key = plainString(), literal(":") else { return nil }
            if key == "id" {
                guard let value = plainString() else { return nil }
                id = value
            } else {
                guard skipValue() else { return nil }
            }
            if literal(",") { continue }
            guard literal("}") else { return nil }
            return id
        }
    }
}
