/// `${server.name}` and `${labels.KEY}` substitution in a service's templated files.
///
/// Works on bytes, so any encoding passes through untouched. `$${` writes a literal `${`.
public enum Template {
    /// One `${...}` found in a file: its name (`server.name`, `labels.zone`) and 1-based line and column.
    public struct Variable: Hashable, Sendable {
        public var name: String
        public var line: Int
        public var column: Int
    }

    /// Every variable of `bytes`, in order; an unterminated `${` is returned with the name it has so far
    /// prefixed by `${` so callers report it as unknown.
    public static func variables(in bytes: [UInt8]) -> [Variable] {
        var out: [Variable] = []
        scan(bytes) { variable in out.append(variable); return nil }
        return out
    }

    /// True when `name` is a variable Tide knows (`server.name`, `labels.KEY`).
    public static func isKnown(_ name: String) -> Bool {
        name == "server.name" || (name.hasPrefix("labels.") && name.count > "labels.".count)
    }

    /// The value of `name` on `server`, or nil when the variable is unknown or the label is missing.
    public static func value(of name: String, for server: Server) -> String? {
        if name == "server.name" { return server.name }
        if name.hasPrefix("labels.") { return server.labels[String(name.dropFirst("labels.".count))] }
        return nil
    }

    /// `bytes` with every variable replaced for `server`; the variables that have no value are returned
    /// (the output keeps them as written).
    public static func render(_ bytes: [UInt8], for server: Server) -> (bytes: [UInt8], unknown: [Variable]) {
        var unknown: [Variable] = []
        let out = scan(bytes) { variable in
            if let value = value(of: variable.name, for: server) { return Array(value.utf8) }
            unknown.append(variable)
            return nil
        }
        return (out, unknown)
    }

    /// Walks `bytes`; `replace` returns the replacement of a variable, or nil to keep it as written.
    @discardableResult
    static func scan(_ bytes: [UInt8], _ replace: (Variable) -> [UInt8]?) -> [UInt8] {
        let dollar = UInt8(ascii: "$"), open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), newline = UInt8(ascii: "\n")
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        var line = 1
        var lineStart = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == dollar, i + 2 < n, bytes[i + 1] == dollar, bytes[i + 2] == open {
                out.append(dollar)
                out.append(open)
                i += 3
                continue
            }
            if b == dollar, i + 1 < n, bytes[i + 1] == open {
                var j = i + 2
                while j < n, bytes[j] != close, bytes[j] != newline { j += 1 }
                let column = columnOf(bytes, from: lineStart, to: i)
                if j < n, bytes[j] == close {
                    let name = String(decoding: bytes[(i + 2)..<j], as: UTF8.self)
                    let variable = Variable(name: name, line: line, column: column)
                    if let value = replace(variable) {
                        out.append(contentsOf: value)
                    } else {
                        out.append(contentsOf: bytes[i...j])
                    }
                    i = j + 1
                    continue
                }
                _ = replace(Variable(name: "${" + String(decoding: bytes[(i + 2)..<j], as: UTF8.self), line: line, column: column))
                out.append(contentsOf: bytes[i..<j])
                i = j
                continue
            }
            if b == newline {
                line += 1
                lineStart = i + 1
            }
            out.append(b)
            i += 1
        }
        return out
    }

    /// 1-based column in characters (UTF-8 continuation bytes do not count).
    static func columnOf(_ bytes: [UInt8], from start: Int, to index: Int) -> Int {
        var column = 1
        var k = start
        while k < index {
            if bytes[k] & 0xC0 != 0x80 { column += 1 }
            k += 1
        }
        return column
    }
}
