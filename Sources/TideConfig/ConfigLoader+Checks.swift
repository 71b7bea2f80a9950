import TideCore

/// Checks across files: selectors against the inventory, targets placed twice, template variables.
extension ConfigLoader {
    mutating func checkSelectors() {
        for name in config.services.keys.sorted() {
            guard let spec = config.services[name], let at = selectorPositions[name] else { continue }
            if !config.servers.contains(where: { $0.matches(spec.selector) }) {
                let text = spec.selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                warning(at, "selector {\(text)} matches no server of the inventory; service '\(name)' is placed nowhere")
            }
        }
    }

    /// Two files placed at the same target on one server: within a service always, across services when
    /// some server is matched by both selectors.
    mutating func checkTargetConflicts() {
        var owners: [String: [(service: String, position: SourcePosition)]] = [:]
        for name in placedTargets.keys.sorted() where config.services[name] != nil {
            var seen: [String: SourcePosition] = [:]
            for (target, position) in placedTargets[name]! {
                if let first = seen[target] {
                    error(position, "target \(target) is placed twice by service '\(name)' (first at \(first))")
                    continue
                }
                seen[target] = position
                owners[target, default: []].append((name, position))
            }
        }
        var reported: Set<String> = []
        for target in owners.keys.sorted() {
            let list = owners[target]!
            guard list.count > 1 else { continue }
            for i in 1..<list.count {
                for j in 0..<i {
                    let (a, b) = (list[j], list[i])
                    let key = "\(a.service)\u{0}\(b.service)\u{0}\(b.position)"
                    guard let sa = config.services[a.service], let sb = config.services[b.service],
                        let server = config.servers.first(where: { $0.matches(sa.selector) && $0.matches(sb.selector) }),
                        !reported.contains(key)
                    else { continue }
                    reported.insert(key)
                    error(
                        b.position,
                        "target \(target) is also placed by service '\(a.service)' (\(a.position)) on server \(server.name); a file has one owner")
                }
            }
        }
    }

    /// Every `${...}` of a templated file is known, and every server of the service has the labels used.
    mutating func checkTemplates() {
        for service in templated.keys.sorted() {
            guard let spec = config.services[service] else { continue }
            let servers = config.servers.filter { $0.matches(spec.selector) }
            var done: Set<String> = []
            for (path, _) in templated[service]! where done.insert(path).inserted {
                guard let bytes = config.files[path] else { continue }
                for variable in Template.variables(in: bytes) {
                    let at = SourcePosition(file: path, line: variable.line, column: variable.column)
                    guard Template.isKnown(variable.name) else {
                        error(at, "unknown template variable ${\(variable.name)}; known: ${server.name}, ${labels.KEY} (write $${ for a literal ${)")
                        continue
                    }
                    if let missing = servers.first(where: { Template.value(of: variable.name, for: $0) == nil }) {
                        let label = variable.name.dropFirst("labels.".count)
                        let count = servers.filter { Template.value(of: variable.name, for: $0) == nil }.count
                        error(
                            at,
                            "template variable ${\(variable.name)}: server \(missing.name)\(count > 1 ? " and \(count - 1) more" : "") of service '\(service)' has no label '\(label)'")
                    }
                }
            }
        }
    }
}
