import CCrypto

/// HMAC-SHA256 through libcrypto, and constant-time comparison of secrets and signatures.
public enum HMACSHA256 {
    /// The 32-byte HMAC-SHA256 of `data` keyed with `key`.
    public static func digest(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let ok = key.withUnsafeBytes { k in
            data.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    tide_hmac_sha256(k.baseAddress, Int32(k.count), d.baseAddress, d.count, o.baseAddress)
                }
            }
        }
        precondition(ok == 1, "libcrypto HMAC-SHA256 failed")
        return out
    }

    /// Whether `a` and `b` are equal, in time that depends on neither content nor length: both are
    /// first reduced to an HMAC under a fixed key, then compared with `CRYPTO_memcmp`.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let key = Array("tide-compare".utf8)
        let x = digest(key: key, data: a)
        let y = digest(key: key, data: b)
        return x.withUnsafeBytes { xp in y.withUnsafeBytes { yp in tide_memcmp_consttime(xp.baseAddress, yp.baseAddress, 32) } } == 0
    }

    /// Decodes lowercase or uppercase hex; nil when not hex or of odd length.
    public static func bytes(fromHex text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
