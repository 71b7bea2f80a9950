/// JSON strings written by hand, as JSONEncoder writes them, for the encoders that put large answers
/// together from cached parts (`DesiredStateEncoder`, the store's revision events).
public enum JSONText {
    /// Appends `text` as a JSON string: `"` and `\` escaped, `\b \f \n \r \t`, other control
    /// characters as `\u00XX`, and `/` as `\/` when `escapingSlashes` (JSONEncoder's default).
    public static func appendString(_ text: String, to out: inout [UInt8], escapingSlashes: Bool) {
        let hex = Array("0123456789abcdef".utf8)
        let backslash = UInt8(ascii: "\\")
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [backslash, UInt8(ascii: "\"")]
            case backslash: out += [backslash, backslash]
            case UInt8(ascii: "/") where escapingSlashes: out += [backslash, UInt8(ascii: "/")]
            case 0x08: out += [backslash, UInt8(ascii: "b")]
            case 0x0c: out += [backslash, UInt8(ascii: "f")]
            case 0x0a: out += [backslash, UInt8(ascii: "n")]
            case 0x0d: out += [backslash, UInt8(ascii: "r")]
            case 0x09: out += [backslash, UInt8(ascii: "t")]
            case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
