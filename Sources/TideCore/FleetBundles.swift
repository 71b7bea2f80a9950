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

    /// Builds every bundle of `config`.
    public static func build(_ config: FleetConfig) -> FleetBundles {
        var out = FleetBundles()
        let sortedPaths = config.files.keys.sorted()
        for name in config.services.keys.sorted() {
            let spec = config.services[name]!
            let servers = config.servers.filter { $0.matches(spec.selector) }
            guard !servers.isEmpty else { continue }
            let placed = placedFiles(of: spec, in: config, sortedPaths: sortedPaths)
            var perServer: [String: Bundle] = [:]
            perServer.reserveCapacity(servers.count)
            // Fixed files: hashed once for the whole service.
            var fixed: [BundleFile] = []
            var templated: [PlacedFile] = []
            for file in placed {
                if file.template {
                    templated.append(file)
                } else {
                    let bytes = config.files[file.path] ?? []
                    let id = out.addBlob(bytes)
                    fixed.append(file.bundleFile(blob: id, size: bytes.count))
                }
            }
            if templated.isEmpty {
                let bundle = Bundle(service: name, files: fixed, reload: spec.reload, health: spec.health)
                for server in servers { perServer[server.name] = bundle }
            } else {
                // Every server gets the same targets in the same order; only the templated files' blobs
                // differ. Sort once, hash the canonical text up to the first templated file once, and
                // continue from a copy of that hasher per distinct rendering.
                var layout = fixed.map { (file: $0, templated: Int?.none) }
                layout += templated.enumerated().map { (file: $1.bundleFile(blob: "", size: 0), templated: Int?.some($0)) }
                layout.sort { $0.file.target < $1.file.target }
                let slots = layout.indices.compactMap { i in layout[i].templated.map { (slot: i, file: $0) } }
                let firstTemplated = slots.first?.slot ?? layout.count
                var prefix = SHA256()
                prefix.update(Bundle.canonicalHeader(service: name))
                for i in 0..<firstTemplated { prefix.update(Bundle.canonicalLine(layout[i].file)) }
                let trailer = Bundle.canonicalTrailer(reload: spec.reload, health: spec.health)
                let sortedTemplate = layout.map(\.file)
                var reported: Set<String> = []
                var cache: [[String]: Bundle] = [:]
                for server in servers {
                    var files = sortedTemplate
                    var key: [String] = []
                    key.reserveCapacity(slots.count)
                    for (slot, index) in slots {
                        let file = templated[index]
                        let source = config.files[file.path] ?? []
                        let (bytes, unknown) = Template.render(source, for: server)
                        for variable in unknown {
                            let at = SourcePosition(file: file.path, line: variable.line, column: variable.column)
                            if reported.insert("\(at)\u{0}\(variable.name)").inserted {
                                out.diagnostics.append(
                                    .error(at, "template variable ${\(variable.name)} has no value on server \(server.name)"))
                            }
                        }
                        let id = out.addBlob(bytes)
                        key.append(id)
                        files[slot].blob = id
                        files[slot].size = bytes.count
                    }
                    if let bundle = cache[key] {
                        perServer[server.name] = bundle
                    } else {
                        var hasher = prefix
                        for i in firstTemplated..<files.count { hasher.update(Bundle.canonicalLine(files[i])) }
                        hasher.update(trailer)
                        let bundle = Bundle(
                            service: name, sortedFiles: files, reload: spec.reload, health: spec.health,
                            id: hasher.finalize().hexString)
                        cache[key] = bundle
                        perServer[server.name] = bundle
                    }
                }
            }
            out.bundles[name] = perServer
        }
        return out
    }

    /// Stores `bytes` and returns its id.
    mutating func addBlob(_ bytes: [UInt8]) -> String {
        let id = SHA256.hex(bytes)
        if blobs[id] == nil { blobs[id] = bytes }
        return id
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
