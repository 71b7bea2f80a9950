import TideCore

/// `services/<name>/service.yaml` and the files a service places.
extension ConfigLoader {
    static let serviceKeys = ["selector", "files", "reload", "health", "rollout", "rollback"]
    static let fileKeys = ["source", "target", "mode", "owner", "group", "template"]

    mutating func loadServices() {
        var names: [String] = []
        var serviceEntries: [String: [ConfigTreeEntry]] = [:]
        for entry in entries where entry.path.hasPrefix("services/") {
            let parts = entry.path.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 3 else {
                warning(SourcePosition(file: entry.path, line: 1, column: 1), "ignored: services/ holds one directory per service")
                continue
            }
            let name = String(parts[1])
            if names.last != name { names.append(name) }
            serviceEntries[name, default: []].append(entry)
        }
        for name in names { loadCachedService(name, entries: serviceEntries[name] ?? []) }
    }

    /// `loadService`, or its result replayed from the cache when every entry under the service's
    /// directory (with its content id) and the fleet defaults are unchanged: it depends on nothing else.
    mutating func loadCachedService(_ name: String, entries serviceEntries: [ConfigTreeEntry]) {
        guard let cache, serviceEntries.allSatisfy({ $0.contentID != nil || $0.kind == .submodule }) else {
            loadService(name)
            return
        }
        let inputs = ConfigLoadCache.ServiceInputs(
            entries: serviceEntries, rolloutDefaults: config.rolloutDefaults, rollbackDefaults: config.rollbackDefaults)
        let result: ConfigLoadCache.ServiceResult
        if let hit = cache.service(name, inputs) {
            result = hit
        } else {
            let saved = diagnostics
            diagnostics = []
            loadService(name)
            result = ConfigLoadCache.ServiceResult(
                spec: config.services[name], diagnostics: diagnostics, selectorPosition: selectorPositions[name],
                placedTargets: placedTargets[name], templated: templated[name],
                files: serviceEntries.compactMap { e in config.files[e.path].map { (e.path, $0) } })
            diagnostics = saved
            cache.storeService(name, inputs, result)
        }
        diagnostics += result.diagnostics
        config.services[name] = result.spec
        selectorPositions[name] = result.selectorPosition
        placedTargets[name] = result.placedTargets
        templated[name] = result.templated
        for (path, bytes) in result.files { config.files[path] = bytes }
    }

    mutating func loadService(_ name: String) {
        let dir = "services/\(name)"
        let path = "\(dir)/service.yaml"
        guard ConfigLoader.isServerName(name) else {
            error(
                SourcePosition(file: dir, line: 1, column: 1),
                "service name '\(name)' must be letters, digits, '.', '_' or '-'")
            return
        }
        guard entryKinds[path] != nil else {
            let hint = entryKinds["\(dir)/service.yml"] != nil ? " (found service.yml: rename it service.yaml)" : ""
            error(SourcePosition(file: dir, line: 1, column: 1), "service '\(name)' has no service.yaml\(hint)")
            return
        }
        guard let root = document(path),
            let f = fields(root, path, allowed: ConfigLoader.serviceKeys, required: ["selector"])
        else { return }
        var spec = ServiceSpec(name: name, selector: [:], rollout: config.rolloutDefaults, rollback: config.rollbackDefaults)
        var valid = true
        if let node = f["selector"] {
            if node.isNull {
                error(node.position, "selector is empty; name the labels of this service's servers, e.g. {role: web} (an empty selector never means all servers)")
                valid = false
            } else if let m = stringMap(node, "selector") {
                if m.isEmpty {
                    error(node.position, "selector is empty; name the labels of this service's servers, e.g. {role: web} (an empty selector never means all servers)")
                    valid = false
                }
                spec.selector = m
                selectorPositions[name] = node.position
            } else {
                valid = false
            }
        }
        if let node = f["files"], !node.isNull, let items = list(node, "files") {
            for (i, item) in items.enumerated() {
                if let file = fileSpec(item, "files[\(i)]", service: name) { spec.files.append(file) }
            }
        }
        if let node = f["reload"], !node.isNull, let s = string(node, "reload") { spec.reload = s }
        if let node = f["health"], !node.isNull { spec.health = health(node) }
        if let node = f["rollout"] { spec.rollout = rollout(node, "rollout", base: config.rolloutDefaults) }
        if let node = f["rollback"] { spec.rollback = rollout(node, "rollback", base: config.rollbackDefaults) }
        if valid { config.services[name] = spec }
    }

    mutating func health(_ node: YAMLNode) -> HealthCheck? {
        guard let f = fields(node, "health", allowed: ["command", "http", "interval", "timeout", "retries"]) else {
            return nil
        }
        var probe: HealthCheck.Probe?
        switch (f["command"], f["http"]) {
        case (let c?, nil):
            if let s = string(c, "health.command") { probe = .command(s) }
        case (nil, let h?):
            if let s = string(h, "health.http") {
                if s.hasPrefix("http://") || s.hasPrefix("https://") { probe = .http(s) } else {
                    error(h.position, "health.http must be an http:// or https:// URL, found \"\(s)\"")
                }
            }
        case (_?, let h?):
            error(h.position, "health has both command and http; give exactly one")
        case (nil, nil):
            error(node.position, "health: missing required key 'command' or 'http'")
        }
        var check = HealthCheck(probe: probe ?? .command("true"))
        if let n = f["interval"], let d = duration(n, "health.interval", in: .milliseconds(100) ... .seconds(3600)) {
            check.interval = d
        }
        if let n = f["timeout"], let d = duration(n, "health.timeout", in: .milliseconds(100) ... .seconds(3600)) {
            check.timeout = d
        }
        if let n = f["retries"], let r = integer(n, "health.retries", in: 0...100) { check.retries = r }
        return probe == nil ? nil : check
    }

    /// One `files:` entry; loads the bytes of the file (or of every file of the directory) it names.
    mutating func fileSpec(_ node: YAMLNode, _ field: String, service: String) -> FileSpec? {
        guard let f = fields(node, field, allowed: ConfigLoader.fileKeys, required: ["source", "target"]),
            let sourceNode = f["source"], let targetNode = f["target"],
            let source = string(sourceNode, "\(field).source"), let target = string(targetNode, "\(field).target")
        else { return nil }
        var ok = true
        var mode: UInt32?
        if let n = f["mode"] {
            if let m = self.mode(n, "\(field).mode") { mode = m } else { ok = false }
        }
        var owner: String?
        var group: String?
        if let n = f["owner"] { owner = string(n, "\(field).owner") }
        if let n = f["group"] { group = string(n, "\(field).group") }
        var template = false
        if let n = f["template"] { template = bool(n, "\(field).template") ?? false }

        // The source: relative to the service directory, inside it.
        let sourceParts = source.split(separator: "/", omittingEmptySubsequences: true)
        if source.hasPrefix("/") || sourceParts.contains("..") || sourceParts.isEmpty {
            error(
                sourceNode.position,
                "\(field).source must be a path relative to services/\(service)/ without '..', found \"\(source)\"")
            return nil
        }
        let repoPath = "services/\(service)/" + sourceParts.joined(separator: "/")
        // A submodule or a symlink named as a directory is still refused as what it is, below.
        let linkOrSubmodule = entryKinds[repoPath] == .symlink || entryKinds[repoPath] == .submodule
        let isDirectory =
            !linkOrSubmodule
            && (source.hasSuffix("/") || entryKinds[repoPath] == nil && entries.contains { $0.path.hasPrefix(repoPath + "/") })

        // The target: absolute, no `..`, a directory target for a directory source.
        let targetParts = target.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if !target.hasPrefix("/") {
            error(targetNode.position, "\(field).target must be an absolute path (starting with /), found \"\(target)\"")
            ok = false
        } else if targetParts.contains("..") || targetParts.contains(".") {
            error(targetNode.position, "\(field).target must not contain '..' or '.' parts, found \"\(target)\"")
            ok = false
        } else if target == "/" || (!isDirectory && !linkOrSubmodule && target.hasSuffix("/")) {
            error(targetNode.position, "\(field).target must name a file, found \"\(target)\" (a directory target needs a directory source ending in /)")
            ok = false
        }

        var found: [String] = []
        if isDirectory {
            let prefix = repoPath + "/"
            for entry in entries where entry.path.hasPrefix(prefix) {
                if accept(entry, field: field, at: sourceNode.position) { found.append(entry.path) } else { ok = false }
            }
            if found.isEmpty && ok {
                error(sourceNode.position, "\(field).source: directory \(repoPath)/ has no files (Git keeps no empty directories)")
                ok = false
            }
        } else {
            if let kind = entryKinds[repoPath] {
                if accept(ConfigTreeEntry(path: repoPath, kind: kind), field: field, at: sourceNode.position) {
                    found.append(repoPath)
                } else {
                    ok = false
                }
            } else {
                error(sourceNode.position, "\(field).source: \(repoPath) does not exist in the repo")
                ok = false
            }
        }
        guard ok else { return nil }
        var targets: [(String, SourcePosition)] = []
        let base = target.hasSuffix("/") ? String(target.dropLast()) : target
        for path in found {
            if isDirectory {
                targets.append((base + "/" + path.dropFirst(repoPath.count + 1), targetNode.position))
            } else {
                targets.append((target, targetNode.position))
            }
            if template { templated[service, default: []].append((path, sourceNode.position)) }
        }
        placedTargets[service, default: []] += targets.map { (target: $0.0, position: $0.1) }
        let spec = FileSpec(
            source: isDirectory ? sourceParts.joined(separator: "/") + "/" : sourceParts.joined(separator: "/"),
            target: isDirectory ? base + "/" : target, mode: mode, owner: owner, group: group, template: template,
            position: sourceNode.position)
        return spec
    }

    /// Reads one of a service's files into the config; refuses symlinks, submodules and Git LFS pointers.
    mutating func accept(_ entry: ConfigTreeEntry, field: String, at position: SourcePosition) -> Bool {
        switch entry.kind {
        case .symlink:
            error(position, "\(field).source: \(entry.path) is a symbolic link; Tide does not follow links (they could point outside the repo): commit the file itself")
            return false
        case .submodule:
            error(position, "\(field).source: \(entry.path) is a Git submodule; Tide reads only this repo's own files: copy the files in")
            return false
        case .file, .executable:
            break
        }
        let bytes: [UInt8]
        let id = contentIDs[entry.path]
        if let cache, let id, let hit = cache.bytes(entry.path, .id(id)) {
            bytes = hit
        } else {
            do {
                bytes = try tree.contents(of: entry.path)
            } catch {
                self.error(position, "\(field).source: cannot read \(entry.path): \(error)")
                return false
            }
            if let cache, let id { cache.storeBytes(entry.path, .id(id), bytes) }
        }
        if ConfigLoader.isLFSPointer(bytes) {
            error(position, "\(field).source: \(entry.path) is a Git LFS pointer, not the file; Tide serves what Git holds: commit the content itself (git lfs untrack)")
            return false
        }
        config.files[entry.path] = bytes
        return true
    }

    static func isLFSPointer(_ bytes: [UInt8]) -> Bool {
        bytes.count < 1024 && bytes.starts(with: Array("version https://git-lfs.github.com/spec/".utf8))
    }
}
