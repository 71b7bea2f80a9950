import Foundation
import Synchronization
import TideCore

/// Encodes the answers to blocking queries. Each bundle's JSON is encoded once (JSONEncoder, sorted
/// keys) and kept by bundle id, so a bundle shared by thousands of servers costs one encoding; the
/// rest of the body (index, server, revisions) is written around the cached bytes. At 10,000
/// servers, encoding every answer with JSONEncoder took over 40% of the controller's CPU.
///
/// Bundles are written by hand (the same JSON as JSONEncoder with sorted keys, about ten times
/// faster). The bundle cache holds at most `limit` bytes; once full it takes no more, and bundles
/// outside it (per-server bundles, e.g. a templated host file among 100 shared ones) are put together
/// from each file's cached JSON instead: 10,000 such bundles share their files' fragments, so they
/// cost a few MB where whole-bundle copies cost 180 MB.
public final class DesiredStateEncoder: Sendable {
    private struct Cache {
        var fragments: [String: [UInt8]] = [:]
        var bytes = 0
        var files: [BundleFile: [UInt8]] = [:]
        var fileBytes = 0
    }

    private let cache = Mutex(Cache())
    public let limit: Int
    public let fileLimit: Int

    public init(limit: Int = 16 << 20, fileLimit: Int = 32 << 20) {
        self.limit = limit
        self.fileLimit = fileLimit
    }

    /// The JSON body of `state`: the same object `JSONEncoder` would give (keys sorted).
    public func encode(_ state: AgentProtocol.DesiredState) throws -> [UInt8] {
        Array(try encodeParts(state).joined())
    }

    /// The JSON body of `state` in parts, joined in order: each bundle's JSON is the cached array itself
    /// (shared, not copied), between the few bytes of this answer's own (index, server, revisions).
    /// An answer in flight to each of 10,000 servers then holds about a kilobyte of its own, not 100 KB.
    public func encodeParts(_ state: AgentProtocol.DesiredState) throws -> [[UInt8]] {
        var parts: [[UInt8]] = []
        parts.reserveCapacity(2 * state.services.count + 1)
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(UInt8(ascii: "{"))
        if let heartbeat = state.heartbeatSeconds {
            out += Array(#""heartbeatSeconds":"#.utf8) + Array(String(heartbeat).utf8) + [UInt8(ascii: ",")]
        }
        out += Array(#""index":"#.utf8) + Array(String(state.index).utf8)
        out += Array(#","server":"#.utf8)
        Self.appendString(state.server, to: &out)
        out += Array(#","services":["#.utf8)
        for (i, service) in state.services.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"bundle":"#.utf8)
            parts.append(out)
            parts.append(try fragment(service.bundle))
            out = Array(#","revision":"#.utf8)
            Self.appendString(service.revision, to: &out)
            out += Array(#","service":"#.utf8)
            Self.appendString(service.service, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out += Array("]}".utf8)
        parts.append(out)
        return parts
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
    /// its per-value overhead; each file's JSON comes from the file cache (written once per distinct
    /// file), the health check (small, shared) goes through JSONEncoder once per value.
    func appendBundle(_ bundle: TideCore.Bundle, to out: inout [UInt8]) throws {
        var parts = cache.withLock { c in bundle.files.map { c.files[$0] } }
        var fresh: [(BundleFile, [UInt8])] = []
        for (i, f) in bundle.files.enumerated() where parts[i] == nil {
            var bytes: [UInt8] = []
            Self.appendFile(f, to: &bytes)
            parts[i] = bytes
            fresh.append((f, bytes))
        }
        if !fresh.isEmpty {
            cache.withLock { c in
                for (f, bytes) in fresh where c.fileBytes + bytes.count <= fileLimit {
                    if c.files.updateValue(bytes, forKey: f) == nil { c.fileBytes += bytes.count }
                }
            }
        }
        out += Array(#"{"files":["#.utf8)
        for (i, part) in parts.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += part!
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

    /// Writes one file entry of a bundle's `files`.
    static func appendFile(_ f: BundleFile, to out: inout [UInt8]) {
        out += Array(#"{"blob":"#.utf8)
        appendString(f.blob, to: &out)
        if let group = f.group {
            out += Array(#","group":"#.utf8)
            appendString(group, to: &out)
        }
        out += Array(#","mode":"#.utf8) + Array(String(f.mode).utf8)
        if let owner = f.owner {
            out += Array(#","owner":"#.utf8)
            appendString(owner, to: &out)
        }
        out += Array(#","size":"#.utf8) + Array(String(f.size).utf8)
        out += Array(#","target":"#.utf8)
        appendString(f.target, to: &out)
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

    /// Bundles cached now, and their bytes; files cached now, and their bytes.
    public var cached: (bundles: Int, bytes: Int, files: Int, fileBytes: Int) {
        cache.withLock { ($0.fragments.count, $0.bytes, $0.files.count, $0.fileBytes) }
    }

    /// Appends `text` as a JSON string (slashes not escaped: JSONEncoder with `.withoutEscapingSlashes`).
    static func appendString(_ text: String, to out: inout [UInt8]) {
        JSONText.appendString(text, to: &out, escapingSlashes: false)
    }
}
