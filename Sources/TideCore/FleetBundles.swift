/// Every bundle of one revision: for each service, the bundle of each server its selector matches,
/// and the content of every blob those bundles name (blob id → bytes, for `/v1/blobs/{id}`).
///
/// Built once per distinct content: a service without templated files gets one bundle shared by all
/// its servers; templated files are rendered per server and identical renderings share a blob.
public struct FleetBundles: Sendable {
    /// Service name → server name → bundle. Servers a service does not select are absent (empty bundle).
    public var bundles: [String: [String: Bundle]]
    /// Blob id (SHA-256 hex) → bytes.
    public var blobs: [String: [UInt8]]
    /// Template variables without a value on some server (normally caught by validation first).
    public var diagnostics: [Diagnostic]

    public init(bundles: [String: [String: Bundle]] = [:], blobs: [String: [UInt8]] = [:], diagnostics: [Diagnostic] = []) {
        self.bundles = bundles
        self.blobs = blobs
        self.diagnostics = diagnostics
    }

    /// The bundle `server` should hold for `service`; the empty bundle when the service does not select it.
    public func bundle(service: String, server: String) -> Bundle {
        bundles[service]?[server] ?? .empty(service: service)
    }

    /// Default mode of a placed file when its entry gives none.
    public static let defaultMode: UInt32 = 0o644

    /// Per service, how many times it uses each blob (once per fixed file, once per server and templated
    /// file): a blob leaves `blobs` when no service uses it. Nil when not made by `build`.
    var blobUses: [String: [String: Int]]?

    /// Builds every bundle of `config`.
    public static func build(_ config: FleetConfig) -> FleetBundles {
        var out = FleetBundles()
        out.blobUses = [:]
        let sortedPaths = config.files.keys.sorted()
        for name in config.services.keys.sorted() {
            out.buildService(name, spec: config.services[name]!, config: config, sortedPaths: sortedPaths)
        }
        return out
    }

    /// Builds the bundles of one service from scratch into `bundles[name]` (absent when it selects no server).
    mutating func buildService(_ name: String, spec: ServiceSpec, config: FleetConfig, sortedPaths: [String]) {
        let servers = config.servers.filter { $0.matches(spec.selector) }
        guard !servers.isEmpty else { return }
        var service = ServiceBuild(name: name, spec: spec, config: config, sortedPaths: sortedPaths)
        service.addFixedBlobs(to: &self)
        var perServer: [String: Bundle] = [:]
        perServer.reserveCapacity(servers.count)
        for server in servers { perServer[server.name] = service.bundle(for: server, into: &self) }
        bundles[name] = perServer
    }

    /// Stores `bytes` (whose id is `id`) as used once more by `service`.
    mutating func addBlob(_ bytes: [UInt8], id: String, service: String) {
        if blobs[id] == nil { blobs[id] = bytes }
        blobUses?[service, default: [:]][id, default: 0] += 1
    }

    /// One use of blob `id` by `service` less; the blob goes when no service uses it any more.
    mutating func releaseBlob(_ id: String, service: String) {
        guard let count = blobUses?[service]?[id] else { return }
        if count > 1 {
            blobUses?[service]?[id] = count - 1
            return
        }
        blobUses?[service]?[id] = nil
        if blobUses?.values.contains(where: { $0[id] != nil }) != true { blobs[id] = nil }
    }

    /// One file a service places, after expanding directory sources.
    struct PlacedFile {
        var path: String
        var target: String
        var mode: UInt32
        var owner: String?
        var group: String?
        var template: Bool

        func bundleFile(blob: String, size: Int) -> BundleFile {
            BundleFile(target: target, mode: mode, owner: owner, group: group, blob: blob, size: size)
        }
    }

    /// The files of `spec` with repo paths and final targets; a directory source mirrors its whole tree.
    static func placedFiles(of spec: ServiceSpec, in config: FleetConfig, sortedPaths: [String]) -> [PlacedFile] {
        var out: [PlacedFile] = []
        let serviceDir = "services/\(spec.name)/"
        for file in spec.files {
            let mode = file.mode ?? defaultMode
            if file.source.hasSuffix("/") {
                let prefix = serviceDir + file.source
                let base = file.target.hasSuffix("/") ? String(file.target.dropLast()) : file.target
                for path in paths(withPrefix: prefix, in: sortedPaths) {
                    out.append(
                        PlacedFile(
                            path: path, target: base + "/" + path.dropFirst(prefix.count), mode: mode, owner: file.owner,
                            group: file.group, template: file.template))
                }
            } else {
                out.append(
                    PlacedFile(
                        path: serviceDir + file.source, target: file.target, mode: mode, owner: file.owner,
                        group: file.group, template: file.template))
            }
        }
        return out
    }

    /// The sorted paths starting with `prefix` (binary search for the first).
    static func paths(withPrefix prefix: String, in sorted: [String]) -> ArraySlice<String> {
        var low = 0
        var high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < prefix { low = mid + 1 } else { high = mid }
        }
        var end = low
        while end < sorted.count, sorted[end].hasPrefix(prefix) { end += 1 }
        return sorted[low..<end]
    }
}
