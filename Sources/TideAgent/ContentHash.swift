import CCrypto
import Foundation

/// SHA-256 hex of bytes through libcrypto (blob ids are SHA-256 of the content).
enum ContentHash {
    static func hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBufferPointer { buffer in
            _ = CCrypto.SHA256(buffer.baseAddress, buffer.count, &digest)
        }
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in digest {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
