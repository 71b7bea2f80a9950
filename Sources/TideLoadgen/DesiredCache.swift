import Foundation
import TideCore

/// Decodes desired-state bodies cheaply enough that one thread can read 10,000 agents' answers of
/// 100 KB each. The controller encodes with sorted keys, compactly, so a body is
/// `{["heartbeatSeconds":H,]"index":N,"server":"S","services":[{"bundle":{…},"revision":"R","service":"V"},…]}`:
/// a scan finds each service's bundle object and its `"id"` without decoding it, and a bundle is
/// decoded (JSONDecoder) only the first time its id is seen. Decoded bundles' files are interned, so
/// 10,000 per-server bundles that share 99 of their 100 files hold one copy of those 99. A body of
/// any other shape is decoded in full. Loop thread only.
///
/// (Before: the cache key was the whole body after the server name; with a per-server bundle in
/// every body it never hit, and hashing 100 KB keys byte by byte took most of the loop thread.)
final class DesiredCache {
    private var bundles: [String: TideCore.Bundle] = [:]
    private var files: [BundleFile: BundleFile] = [:]
    private let decoder = JSONDecoder()
    private let recorder: StatsRecorder
    /// Bundles kept at most; past it the cache starts over (agents keep the bundles they hold).
    let limit: Int

    private static let heartbeatKey = Array("{\"heartbeatSeconds\":".utf8)
    private static let indexKey = Array("\"index\":".utf8)
    private static let serverKey = Array(",\"server\":\"".utf8)

    init(recorder: StatsRecorder, limit: Int = 50_000) {
        self.recorder = recorder
        self.limit = limit
    }

    /// Bundles decoded and kept now.
    var cachedBundles: Int { bundles.count }

    /// The index, services and asked heartbeat of `body` (a desired state for `server`), or an error
    /// naming what was wrong.
    func decode(_ body: [UInt8], server: String) throws -> (
        index: UInt64, services: [AgentProtocol.DesiredService], heartbeatSeconds: Int?
    ) {
        if let (heartbeat, index, rest) = Self.split(body, server: server), let services = try fastServices(rest) {
            return (index, services, heartbeat)
        }
        let state = try decodeFully(body, server: server)
        return (state.index, state.services.map { d in
            var d = d
            d.bundle = keep(d.bundle)
            return d
        }, state.heartbeatSeconds)
    }

    private func decodeFully(_ body: [UInt8], server: String) throws -> AgentProtocol.DesiredState {
        recorder.desiredDecoded(cacheHit: false)
        let state: AgentProtocol.DesiredState
        do {
            state = try decoder.decode(AgentProtocol.DesiredState.self, from: Data(body))
        } catch {
            throw LoadgenError("desired state for \(server): not a DesiredState: \(error)")
        }
        guard state.server == server else {
            throw LoadgenError("desired state for \(server) names server \(state.server)")
        }
        return state
    }

    /// The services of `rest` (`,"services":[…]}`) by the scan, or nil when it has another shape.
    private func fastServices(_ rest: [UInt8]) throws -> [AgentProtocol.DesiredService]? {
        guard let entries = rest.withUnsafeBufferPointer({ Self.scanServices($0) }) else { return nil }
        var out: [AgentProtocol.DesiredService] = []
        out.reserveCapacity(entries.count)
        var decoded = false
        for e in entries {
            let bundle: TideCore.Bundle
            if let known = bundles[e.bundleID] {
                bundle = known
            } else {
                decoded = true
                let slice = Data(rest[e.bundle])
                do {
                    bundle = keep(try decoder.decode(TideCore.Bundle.self, from: slice))
                } catch {
                    throw LoadgenError("desired state: service \(e.service): not a bundle: \(error)")
                }
                guard bundle.id == e.bundleID else { return nil }
            }
            out.append(AgentProtocol.DesiredService(service: e.service, revision: e.revision, bundle: bundle))
        }
        recorder.desiredDecoded(cacheHit: !decoded)
        return out
    }

    /// Keeps `bundle` by id, its files interned.
    private func keep(_ bundle: TideCore.Bundle) -> TideCore.Bundle {
        if let known = bundles[bundle.id] { return known }
        if bundles.count >= limit {
            bundles.removeAll(keepingCapacity: true)
            files.removeAll(keepingCapacity: true)
        }
        var kept = bundle
        kept.files = FileList(
            bundle.files.map { f in
                if let same = files[f] { return same }
                files[f] = f
                return f
            })
        bundles[bundle.id] = kept
        return kept
    }

    /// `{["heartbeatSeconds":H,]"index":N,"server":"NAME",REST` → (H, N, REST) when the body has
    /// exactly that shape.
    static func split(_ body: [UInt8], server: String) -> (Int?, UInt64, [UInt8])? {
        var i = 1
        var heartbeat: Int?
        if body.starts(with: heartbeatKey) {
            i = heartbeatKey.count
            guard let (h, end) = number(body, from: i), end < body.count, body[end] == UInt8(ascii: ",") else { return nil }
            heartbeat = Int(h)
            i = end + 1
        } else if body.first != UInt8(ascii: "{") {
            return nil
        }
        guard body[i...].starts(with: indexKey), let (index, end) = number(body, from: i + indexKey.count) else { return nil }
        i = end
        guard i + serverKey.count < body.count, body[i..<(i + serverKey.count)].elementsEqual(serverKey)
        else { return nil }
        i += serverKey.count
        let name = Array(server.utf8)
        guard i + name.count + 1 < body.count, body[i..<(i + name.count)].elementsEqual(name),
            body[i + name.count] == UInt8(ascii: "\"")
        else { return nil }
        return (heartbeat, index, Array(body[(i + name.count + 1)...]))
    }

    /// The decimal number starting at `start`, and the index after its last digit.
    private static func number(_ body: [UInt8], from start: Int) -> (UInt64, Int)? {
        var i = start
        var value: UInt64 = 0
        while i < body.count, body[i] >= 48, body[i] <= 57 {
            value = value &* 10 &+ UInt64(body[i] - 48)
            i += 1
        }
        return i > start ? (value, i) : nil
    }

    /// One entry of `"services"` found by the scan: the bundle object's byte range and id.
    struct ScannedService {
        var service: String
        var revision: String
        var bundle: Range<Int>
        var bundleID: String
    }

    /// Scans `,"services":[{"bundle":{…},"revision":"R","service":"V"},…]}` to its end.
    static func scanServices(_ b: UnsafeBufferPointer<UInt8>) -> [ScannedService]? {
        var s = JSONScan(b)
        guard s.literal(#","services":["#) else { return nil }
        var out: [ScannedService] = []
        if s.peek == UInt8(ascii: "]") {
            s.i += 1
        } else {
            while true {
                guard s.literal(#"{"bundle":"#) else { return nil }
                let start = s.i
                guard let id = s.objectID() else { return nil }
                let end = s.i
                guard s.literal(#","revision":"#), let revision = s.plainString(), s.literal(#","service":"#),
                    let service = s.plainString(), s.literal("}")
                else { return nil }
                out.append(ScannedService(service: service, revision: revision, bundle: start..<end, bundleID: id))
                if s.literal(",") { continue }
                guard s.literal("]") else { return nil }
                break
            }
        }
        guard s.literal("}"), s.i == b.count else { return nil }
        return out
    }
}
