/// The request id on every HTTP log line: the field `request_id`, taken from a sane incoming
/// `X-Request-Id` header or made fresh, and echoed back in the response's `X-Request-Id`.
public enum RequestID {
    /// The log field name.
    public static let field = "request_id"
    /// The HTTP header name.
    public static let header = "X-Request-Id"

    /// A new id: 16 random hex digits.
    public static func make() -> String {
        var rng = SystemRandomNumberGenerator()
        let n = rng.next() as UInt64
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The incoming header's value when it is 1–64 characters of `[A-Za-z0-9._-]`, else a new id
    /// (a client cannot inject text into the logs through it).
    public static func from(header value: String?) -> String {
        if let value, (1...64).contains(value.count),
            value.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
                    || $0 == "."
            })
        {
            return value
        }
        return make()
    }
}
