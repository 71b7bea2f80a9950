import Foundation
import TideCore

#if canImport(Glibc)
    import Glibc
#endif

/// What every simulated agent shares: the loop, the pool, the caches, the options and the request
/// templates. Loop thread only.
final class SimulationContext {
    let loop: EventLoop
    let address: ControllerAddress
    let recorder: StatsRecorder
    let pool: ConnectionPool
    let blobs: BlobStore
    let desired: DesiredCache
    let options: FleetSimulatorOptions
    let waitText: String
    let pollTimeout: Double
    let requestTimeout: Double
    let retryMax: Double
    let heartbeat: Double
    private let authorization: String
    private let host: String
    private var failingBundles: [String: Bool] = [:]

    init(loop: EventLoop, address: ControllerAddress, recorder: StatsRecorder, options: FleetSimulatorOptions) {
        self.loop = loop
        self.address = address
        self.recorder = recorder
        self.options = options
        let seconds = { (d: Duration) in Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        let wait = max(1, Int(seconds(options.wait)))
        waitText = "\(wait)s"
        pollTimeout = Double(wait) + 30
        requestTimeout = seconds(options.requestTimeout)
        retryMax = max(0.5, seconds(options.retryMax))
        heartbeat = seconds(options.heartbeat)
        authorization = "Authorization: Bearer \(options.token)\r\n"
        host = "Host: \(address.hostHeader)\r\n"
        pool = ConnectionPool(size: options.reportConnections, loop: loop, address: address, recorder: recorder)
        desired = DesiredCache(recorder: recorder)
        let host = self.host
        let authorization = self.authorization
        blobs = BlobStore(
            pool: pool, recorder: recorder, marker: options.failMarker, keepBytes: options.disk != nil,
            timeout: seconds(options.requestTimeout)
        ) { id in Array("GET /v1/blobs/\(id) HTTP/1.1\r\n\(host)\(authorization)\r\n".utf8) }
    }

    /// The long poll; `holding` (the ETag of the state the agent has) asks for 304 when nothing changes.
    func pollRequest(_ path: String, index: UInt64, holding: String?) -> [UInt8] {
        let condition = holding.map { "If-None-Match: \($0)\r\n" } ?? ""
        return Array(
            "GET /v1/agents/\(path)/desired?index=\(index)&wait=\(waitText) HTTP/1.1\r\n\(host)\(authorization)\(condition)\r\n".utf8)
    }

    func reportRequest(_ path: String, body: [UInt8]) -> [UInt8] {
        var r = Array(
            "POST /v1/agents/\(path)/report HTTP/1.1\r\n\(host)\(authorization)Content-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
                .utf8)
        r.append(contentsOf: body)
        return r
    }

    /// Whether `server` reports `unhealthy` for this bundle (failure injection); blobs must be cached.
    func fails(server: String, bundle: TideCore.Bundle, revision: String) -> Bool {
        guard !bundle.isEmpty else { return false }
        if let glob = options.failServers, fnmatch(glob, server, 0) != 0 { return false }
        if let prefix = options.failRevision, !prefix.isEmpty, revision.hasPrefix(prefix) { return true }
        guard options.failMarker != nil else { return false }
        if let known = failingBundles[bundle.id] { return known }
        let hit = bundle.files.contains { blobs.blob($0.blob)?.containsMarker ?? false }
        failingBundles[bundle.id] = hit
        return hit
    }

    /// A jittered backoff delay (seconds) for the `attempt`-th retry: between half and all of
    /// min(retryMax, 0.5s × 2^attempt), as the real agent does.
    func backoff(attempt: Int) -> Double {
        let ceiling = min(retryMax, 0.5 * Double(1 << min(attempt, 20)))
        return Double.random(in: (ceiling / 2)...ceiling)
    }
}
