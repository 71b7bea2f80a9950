import TideCore

/// Reads a config repo (any `ConfigTree`: a directory, a Git commit) into a `FleetConfig`, with every
/// problem of the repo as a diagnostic (`path:line:column`), all of them in one run.
///
/// Pure apart from reading through the tree; safe to call from any thread.
public struct ConfigLoader {
    /// Every problem found, errors and warnings, in file order.
    public internal(set) var diagnostics: [Diagnostic] = []
    let tree: any ConfigTree
    var entries: [ConfigTreeEntry] = []
    var entryKinds: [String: ConfigTreeEntry.Kind] = [:]
    var config = FleetConfig()
    /// Where each server was named, for duplicate and cross-check messages.
    var serverPositions: [String: SourcePosition] = [:]
    /// Per service: the node of its selector, and each placed file's target with its position.
    var selectorPositions: [String: SourcePosition] = [:]
    var placedTargets: [String: [(target: String, position: SourcePosition)]] = [:]
    var templated: [String: [(path: String, position: SourcePosition)]] = [:]

    /// Results of earlier loads to reuse for files whose content is unchanged, or nil.
    let cache: ConfigLoadCache?
    /// Each entry's content id, when the tree gives them.
    var contentIDs: [String: String] = [:]

    init(tree: any ConfigTree, cache: ConfigLoadCache? = nil) {
        self.tree = tree
        self.cache = cache
    }

    /// Loads `tree`. `config` is nil when any error was found; warnings alone still give a config.
    /// With a `cache`, files unchanged since an earlier load with the same cache are not read or parsed
    /// again; the result is the same as without.
    public static func load(
        _ tree: any ConfigTree, cache: ConfigLoadCache? = nil
    ) -> (config: FleetConfig?, diagnostics: [Diagnostic]) {
        var loader = ConfigLoader(tree: tree, cache: cache)
        cache?.beginLoad()
        loader.run()
        cache?.endLoad()
        let sorted = loader.diagnostics.enumerated().sorted { a, b in
            let (x, y) = (a.element.position, b.element.position)
            if x.file != y.file { return x.file < y.file }
            if x.line != y.line { return x.line < y.line }
            if x.column != y.column { return x.column < y.column }
            return a.offset < b.offset
        }.map(\.element)
        let failed = sorted.contains { $0.severity == .error }
        return (failed ? nil : loader.config, sorted)
    }

    mutating func run() {
        do {
            entries = try tree.entries()
        } catch {
            self.error(SourcePosition(file: tree.displayName, line: 1, column: 1), "cannot read the config repo: \(error)")
            return
        }
        entryKinds.reserveCapacity(entries.count)
        for entry in entries {
            entryKinds[entry.path] = entry.kind
            if let id = entry.contentID { contentIDs[entry.path] = id }
        }
        loadFleetFile()
        loadInventory()
        loadServices()
        checkSelectors()
        checkTargetConflicts()
        checkTemplates()
    }

    /// Parses one YAML file of the repo; nil (with diagnostics) when unreadable or invalid YAML.
    mutating func document(_ path: String, keep: Bool = true) -> YAMLNode? {
        let parsed: (root: YAMLNode?, problems: [Diagnostic])
        if let cache, let id = contentIDs[path], let hit = cache.document(path, .id(id)) {
            parsed = hit
        } else {
            let bytes: [UInt8]
            do {
                bytes = try tree.contents(of: path)
            } catch {
                self.error(SourcePosition(file: path, line: 1, column: 1), "cannot read file: \(error)")
                return nil
            }
            let content = contentIDs[path].map(ConfigLoadCache.Content.id) ?? .bytes(bytes)
            if let cache, contentIDs[path] == nil, let hit = cache.document(path, content) {
                parsed = hit
            } else {
                let (root, problems) = YAMLReader.parse(bytes, file: path)
                parsed = (root, problems)
                if keep { cache?.storeDocument(path, content, parsed) }
            }
        }
        let (root, problems) = parsed
        diagnostics += problems
        guard problems.isEmpty else { return nil }
        guard let root, !root.isNull else {
            self.error(SourcePosition(file: path, line: 1, column: 1), "file is empty; expected a mapping")
            return nil
        }
        return root
    }

    // MARK: tide.yaml

    mutating func loadFleetFile() {
        let path = "tide.yaml"
        guard entryKinds[path] != nil else {
            if entryKinds["tide.yml"] != nil {
                warning(SourcePosition(file: "tide.yml", line: 1, column: 1), "ignored: the fleet file must be named tide.yaml")
            }
            return
        }
        guard let root = document(path), let top = fields(root, "tide.yaml", allowed: ["defaults", "notify"]) else {
            return
        }
        if let defaults = top["defaults"], let d = fields(defaults, "defaults", allowed: ["rollout", "rollback"]) {
            if let node = d["rollout"] {
                config.rolloutDefaults = rollout(node, "defaults.rollout", base: .defaultRollout)
            }
            if let node = d["rollback"] {
                config.rollbackDefaults = rollout(node, "defaults.rollback", base: .defaultRollback)
            }
        }
        if let notify = top["notify"], let items = list(notify, "notify") {
            for (i, item) in items.enumerated() {
                let field = "notify[\(i)]"
                guard let f = fields(item, field, allowed: ["url", "format"], required: ["url"]) else { continue }
                guard let urlNode = f["url"], let url = string(urlNode, "\(field).url") else { continue }
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    error(urlNode.position, "\(field).url must be an http:// or https:// URL, found \"\(url)\"")
                    continue
                }
                var format = NotifyTarget.Format.json
                if let node = f["format"], let text = string(node, "\(field).format") {
                    guard let value = NotifyTarget.Format(rawValue: text) else {
                        error(node.position, "\(field).format must be json or slack, found \"\(text)\"")
                        continue
                    }
                    format = value
                }
                config.notify.append(NotifyTarget(url: url, format: format))
            }
        }
    }

    /// A rollout policy: `base` with every field of `node` applied over it (field-by-field inheritance).
    mutating func rollout(_ node: YAMLNode, _ field: String, base: RolloutPolicy) -> RolloutPolicy {
        var policy = base
        let keys = ["waves", "first", "spreadBy", "bake", "waveTimeout", "maxFailures", "offlineAfter", "onFailure"]
        guard let f = fields(node, field, allowed: keys) else { return policy }
        if let n = f["waves"], let items = list(n, "\(field).waves") {
            if items.isEmpty { error(n.position, "\(field).waves must list at least one wave, e.g. [1, \"10%\", \"100%\"]") }
            var waves: [WaveSize] = []
            var lastCount: (Int, Int)?
            var lastPercent: (Double, Int)?
            for (i, item) in items.enumerated() {
                guard let size = waveSize(item, "\(field).waves[\(i)]") else { continue }
                switch size {
                case .count(let c):
                    if let (prev, at) = lastCount, c <= prev {
                        error(item.position, "\(field).waves must increase: \(c) after \(prev) (waves[\(at)]); sizes are cumulative")
                    }
                    if lastPercent != nil {
                        error(item.position, "\(field).waves[\(i)]: a server count cannot follow a percent; counts come first")
                    }
                    lastCount = (c, i)
                case .percent(let p):
                    if let (prev, at) = lastPercent, p <= prev {
                        error(
                            item.position,
                            "\(field).waves must increase: \(size) after \(WaveSize.percent(prev)) (waves[\(at)]); sizes are cumulative")
                    }
                    lastPercent = (p, i)
                }
                waves.append(size)
            }
            if !waves.isEmpty { policy.waves = waves }
        }
        if let n = f["first"], let m = stringMap(n, "\(field).first") { policy.first = m }
        if let n = f["spreadBy"], let s = string(n, "\(field).spreadBy") {
            if ConfigLoader.isLabelName(s) { policy.spreadBy = s } else { error(n.position, "\(field).spreadBy must be a label name, found \"\(s)\"") }
        }
        if let n = f["bake"], let d = duration(n, "\(field).bake", in: .zero ... .seconds(86400)) { policy.bake = d }
        if let n = f["waveTimeout"], let d = duration(n, "\(field).waveTimeout", in: .seconds(1) ... .seconds(86400)) {
            policy.waveTimeout = d
        }
        if let n = f["offlineAfter"], let d = duration(n, "\(field).offlineAfter", in: .seconds(1) ... .seconds(86400)) {
            policy.offlineAfter = d
        }
        if let n = f["maxFailures"], let t = threshold(n, "\(field).maxFailures") { policy.maxFailures = t }
        if let n = f["onFailure"], let s = string(n, "\(field).onFailure") {
            if let v = RolloutPolicy.OnFailure(rawValue: s) { policy.onFailure = v } else {
                error(n.position, "\(field).onFailure must be revert or pause, found \"\(s)\"")
            }
        }
        return policy
    }

    // MARK: inventory

    mutating func loadInventory() {
        let files = entries.filter { $0.path.hasPrefix("inventory/") }
        var sawYAML = false
        for entry in files {
            guard entry.path.hasSuffix(".yaml") || entry.path.hasSuffix(".yml") else {
                warning(SourcePosition(file: entry.path, line: 1, column: 1), "ignored: inventory files end in .yaml")
                continue
            }
            sawYAML = true
            guard entry.kind == .file || entry.kind == .executable else {
                error(SourcePosition(file: entry.path, line: 1, column: 1), "inventory file is a \(entry.kind.rawValue); commit a regular file")
                continue
            }
            for step in inventorySteps(entry.path) {
                switch step {
                case .diagnostics(let found):
                    diagnostics += found
                case .server(let server, let position, let labelDiagnostics):
                    if let first = serverPositions[server.name] {
                        error(position, "duplicate server name '\(server.name)' (first at \(first))")
                        continue
                    }
                    serverPositions[server.name] = position
                    diagnostics += labelDiagnostics
                    config.servers.append(server)
                }
            }
        }
        if !sawYAML {
            warning(SourcePosition(file: "inventory", line: 1, column: 1), "no inventory: add inventory/*.yaml listing the servers")
        }
    }

    /// One inventory file read on its own, from the cache when its content is unchanged: the servers it
    /// lists with their positions, and its problems in order. Duplicates across files are checked by the caller.
    mutating func inventorySteps(_ path: String) -> [ConfigLoadCache.InventoryStep] {
        var content: ConfigLoadCache.Content?
        if let cache, let id = contentIDs[path] {
            content = .id(id)
            if let hit = cache.inventory(path, .id(id)) { return hit }
        }
        let saved = diagnostics
        diagnostics = []
        var steps: [ConfigLoadCache.InventoryStep] = []
        defer { diagnostics = saved }
        func flush(_ loader: inout ConfigLoader) {
            if !loader.diagnostics.isEmpty { steps.append(.diagnostics(loader.diagnostics)) }
            loader.diagnostics = []
        }
        if content == nil, let cache {
            // No content id: compare the bytes themselves.
            guard let bytes = try? tree.contents(of: path) else {
                // Unreadable: `document` reports it.
                _ = document(path, keep: false)
                flush(&self)
                return steps
            }
            content = .bytes(bytes)
            if let hit = cache.inventory(path, .bytes(bytes)) { return hit }
        }
        defer { if let cache, let content { cache.storeInventory(path, content, steps) } }
        // The document itself is not kept: these steps are.
        guard let root = document(path, keep: false), let top = fields(root, path, allowed: ["servers"], required: ["servers"]) else {
            flush(&self)
            return steps
        }
        guard let node = top["servers"], let items = list(node, "servers") else {
            flush(&self)
            return steps
        }
        steps.reserveCapacity(items.count * 2)
        for (i, item) in items.enumerated() {
            let field = "servers[\(i)]"
            guard let f = fields(item, field, allowed: ["name", "labels"], required: ["name"]) else { continue }
            guard let nameNode = f["name"], let name = string(nameNode, "\(field).name") else { continue }
            guard ConfigLoader.isServerName(name) else {
                error(nameNode.position, "\(field).name '\(name)' must be letters, digits, '.', '_' or '-' (it is the agent's name and a URL path part)")
                continue
            }
            flush(&self)
            var labels: [String: String] = [:]
            if let l = f["labels"], !l.isNull, let m = stringMap(l, "\(field).labels") { labels = m }
            steps.append(.server(Server(name: name, labels: labels), position: nameNode.position, labelDiagnostics: diagnostics))
            diagnostics = []
        }
        flush(&self)
        return steps
    }

    static func isServerName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 253 && s.first != "." && s.first != "-"
            && s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }
    }
}
