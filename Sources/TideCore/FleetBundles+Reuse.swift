extension FleetBundles {
    /// Builds every bundle of `config` like `build(_:)`, reusing `previous` (built from `previousConfig`)
    /// wherever nothing a bundle depends on changed: a service with the same selector, files, reload and
    /// health and the same bytes of its files keeps its bundles as they are; of the others, a service whose
    /// content is unchanged looks again only at the servers added, removed or relabelled in the inventory.
    /// The result equals `build(config)`.
    public static func build(_ config: FleetConfig, reusing previous: FleetBundles, of previousConfig: FleetConfig) -> FleetBundles {
        guard previous.blobUses != nil, previous.diagnostics.isEmpty else { return build(config) }
        var out = previous

        // Servers added, removed or relabelled.
        var changed: [String] = []
        var oldServers: [String: Server] = [:]
        var newServers: [String: Server] = [:]
        if config.servers != previousConfig.servers {
            oldServers = Dictionary(previousConfig.servers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            newServers = Dictionary(config.servers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for (name, server) in newServers where oldServers[name] != server { changed.append(name) }
            for name in oldServers.keys where newServers[name] == nil { changed.append(name) }
            changed.sort()
        }

        // Services whose files' bytes changed (same storage compares in O(1)).
        var touched: Set<String> = []
        for (path, bytes) in config.files where previousConfig.files[path] != bytes {
            if let service = serviceName(of: path) { touched.insert(service) }
        }
        for path in previousConfig.files.keys where config.files[path] == nil {
            if let service = serviceName(of: path) { touched.insert(service) }
        }

        var sortedPathsMemo: [String]?
        func sortedPaths() -> [String] {
            if let memo = sortedPathsMemo { return memo }
            let paths = config.files.keys.sorted()
            sortedPathsMemo = paths
            return paths
        }

        for name in Set(config.services.keys).union(previousConfig.services.keys).sorted() {
            guard let spec = config.services[name] else {
                out.rebuildService(name, spec: nil, config: config, sortedPaths: [])
                continue
            }
            guard let old = previousConfig.services[name], sameContent(old, spec), !touched.contains(name) else {
                out.rebuildService(name, spec: spec, config: config, sortedPaths: sortedPaths())
                continue
            }
            let relevant = changed.filter {
                oldServers[$0]?.matches(spec.selector) == true || newServers[$0]?.matches(spec.selector) == true
            }
            guard !relevant.isEmpty else { continue }
            guard var perServer = out.bundles.removeValue(forKey: name), !perServer.isEmpty else {
                out.rebuildService(name, spec: spec, config: config, sortedPaths: sortedPaths())
                continue
            }
            var service = ServiceBuild(name: name, spec: spec, config: config, sortedPaths: sortedPaths())
            for server in relevant {
                if let bundle = perServer.removeValue(forKey: server), service.shared == nil {
                    service.releaseRendered(bundle, from: &out)
                }
                if let now = newServers[server], now.matches(spec.selector) {
                    perServer[server] = service.bundle(for: now, into: &out)
                }
            }
            if perServer.isEmpty {
                out.rebuildService(name, spec: nil, config: config, sortedPaths: [])
            } else {
                out.bundles[name] = perServer
            }
        }
        // Unknown template variables are normally refused by validation; report them as a fresh build does.
        return out.diagnostics.isEmpty ? out : build(config)
    }

    /// True when two specs give the same bundles for the same files and servers.
    static func sameContent(_ a: ServiceSpec, _ b: ServiceSpec) -> Bool {
        a.selector == b.selector && a.files == b.files && a.reload == b.reload && a.health == b.health
    }

    /// `web` for `services/web/files/a.conf`.
    static func serviceName(of path: String) -> String? {
        guard path.hasPrefix("services/") else { return nil }
        let rest = path.utf8.dropFirst("services/".utf8.count)
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        return String(path[rest.startIndex..<slash])
    }

    /// Drops the bundles of service `name` and the blobs only it used, then builds it again from `spec`
    /// (none when nil).
    mutating func rebuildService(_ name: String, spec: ServiceSpec?, config: FleetConfig, sortedPaths: [String]) {
        let oldUses = blobUses?.removeValue(forKey: name) ?? [:]
        bundles[name] = nil
        if let spec { buildService(name, spec: spec, config: config, sortedPaths: sortedPaths) }
        for id in oldUses.keys where blobUses?[name]?[id] == nil {
            if blobUses?.values.contains(where: { $0[id] != nil }) != true { blobs[id] = nil }
        }
    }
}
