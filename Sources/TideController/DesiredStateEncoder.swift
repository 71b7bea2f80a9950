import Foundation
import Synchronization
import TideCore

/// Encodes the answers to blocking queries. Each bundle's JSON is encoded once (JSONEncoder, sorted
/// keys) and kept by bundle id, so a bundle shared by thousands of servers costs one encoding; the
/// rest of the body (index, server, revisions) is written around the cached bytes. At 10,000
/// servers, encoding every answer with JSONEncoder took over 40% of the controller's CPU.
///
/// Bundles are written by hand (the same JSON as JSONEncoder with sorted keys, about ten times
/// faster). The cache holds at most `limit` bytes; once full it takes no more (per-server bundles,
/// e.g. templated host files, are then written again on each answer).
public final class DesiredStateEncoder: Sendable {
    private struct Cache {
        var fragments: [String: [UInt8]] = [:]
        var bytes = 0
    }

    private let cache = Mutex(Cache())
    public let limit: Int

    public init(limit: Int = 64 << 20) { self.limit = limit }

    /// The JSON body of `state`: the same object `JSONEncoder` would give (keys sorted).
    public func encode(_ state: AgentProtocol.DesiredState) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + state.services.count * 4096)
        out += Array(#"{"index":"#.utf8) + Array(String(state.index).utf8)
        out += Array(#","server":"#.utf8)
        Self.appendString(state.server, to: &out)
        out += Array(#","services":["#.utf8)
        for (i, service) in state.services.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"bundle":"#.utf8)
            out += try fragment(service.bundle)
            out += Array(#","revision":"#.utf8)
            Self.appendString(service.revision, to: &out)
            out += Array(#","service":"#.utf8)
            Self.appendString(service.service, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out += Array("]}".utf8)
        return out
    }

    /// The bundle's JSON, from the cache or written now. A full cache takes no more bundles (those
    /// already in it are the ones answered first, typically shared by many servers).
    func fragment(_ bundle: TideCore.Bundle) throws -> [UInt8] {
        if let hit = cache.withLock({ $0.fragments[bundle.id] }) { return hit }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160 + bundle.files.count * 160)
        try appendBundle(bundle, to: &bytes)
        cache.withLock { c in
            guard c.bytes + bytes.count <= limit else { return }
            if c.fragments.updateValue(bytes, forKey: bundle.id) == nil { c.bytes += bytes.count }
        }
        return bytes
    }

    /// Writes `bundle` as JSONEncoder would with sorted keys (optional fields absent when nil), without
    /// its per-value overhead; the health check (small, shared) goes through JSONEncoder once per value.
    func appendBundle(_ bundle: TideCore.Bundle, to out: inout [UInt8]) throws {
        out += Array(#"{"files":["#.utf8)
        for (i, f) in bundle.files.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"blob":"#.utf8)
            Self.appendString(f.blob, to: &out)
            if let group = f.group {
                out += Array(#","group":"#.utf8)
                Self.appendString(group, to: &out)
            }
            out += Array(#","mode":"#.utf8) + Array(String(f.mode).utf8)
            if let owner = f.owner {
                out += Array(#","owner":"#.utf8)
                Self.appendString(owner, to: &out)
            }
            out += Array(#","size":"#.utf8) + Array(String(f.size).utf8)
            out += Array(#","target":"#.utf8)
            Self.appendString(f.target, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        if let health = bundle.health {
            out += Array(#","health":"#.utf8)
            out += try healthJSON(health)
        }
        out += Array(#","id":"#.utf8)
        Self.appendString(bundle.id, to: &out)
        if let reload = bundle.reload {
            out += Array(#","reload":"#.utf8)
            Self.appendString(reload, to: &out)
        }
        out += Array(#","service":"#.utf8)
        Self.appendString(bundle.service, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    private let healthCache = Mutex<[HealthCheck: [UInt8]]>([:])

    func healthJSON(_ health: HealthCheck) throws -> [UInt8] {
        if let hit = healthCache.withLock({ $0[health] }) { return hit }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = Array(try encoder.encode(health))
        healthCache.withLock { if $0.count < 4096 { $0[health] = bytes } }
        return bytes
    }

    /// Bundles cached now, and their bytes.
    public var cached: (bundles: Int, bytes: Int) { cache.withLock { ($0.fragments.count, $0.bytes) } }

    /// Appends `text` as a JSON string: quotes, backslashes and control characters escaped.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0a: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0d: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
