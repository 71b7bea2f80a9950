/// The plan between two revisions of a fleet: per service, which servers' bundles change, their waves
/// (DESIGN.md "Rollout lifecycle"), and a unified diff of each changed file. Pure.
public struct Plan: Hashable, Sendable, Codable {
    /// Only the services with at least one affected server, sorted by name.
    public var services: [ServicePlan]

    public init(services: [ServicePlan]) { self.services = services }

    /// The plan from `from` (nil: nothing deployed yet, a first release) to `to`, building the bundles.
    public static func between(_ from: FleetConfig?, _ to: FleetConfig) -> Plan {
        between(from: from, fromBundles: from.map(FleetBundles.build), to: to, toBundles: FleetBundles.build(to))
    }

    /// The plan from already-built bundles (the controller keeps them per revision).
    public static func between(
        from: FleetConfig?, fromBundles: FleetBundles?, to: FleetConfig, toBundles: FleetBundles
    ) -> Plan {
        let old = fromBundles ?? FleetBundles()
        var names = Set(toBundles.bundles.keys).union(old.bundles.keys)
        names.formUnion(to.services.keys)
        if let from { names.formUnion(from.services.keys) }
        var servers: [String: Server] = [:]
        for server in from?.servers ?? [] { servers[server.name] = server }
        for server in to.servers { servers[server.name] = server }

        var plans: [ServicePlan] = []
        for name in names.sorted() {
            let before = old.bundles[name] ?? [:]
            let after = toBundles.bundles[name] ?? [:]
            var affected: [Server] = []
            // Servers grouped by (old bundle id, new bundle id): file changes are worked out once per pair.
            var pairs: [String: (old: Bundle, new: Bundle, servers: [String])] = [:]
            for serverName in Set(before.keys).union(after.keys) {
                let a = before[serverName] ?? .empty(service: name)
                let b = after[serverName] ?? .empty(service: name)
                guard a.id != b.id else { continue }
                affected.append(servers[serverName] ?? Server(name: serverName))
                pairs["\(a.id) \(b.id)", default: (a, b, [])].servers.append(serverName)
            }
            guard !affected.isEmpty else { continue }
            let policy = to.services[name]?.rollout ?? from?.services[name]?.rollout ?? to.rolloutDefaults
            let waves = WavePlanner.waves(affected, policy: policy, salt: name).map { $0.map(\.name) }
            let change: ServicePlan.Change =
                to.services[name] == nil ? .removed : (from?.services[name] == nil ? .added : .changed)
            var files: [String: FileChange] = [:]
            var notes: Set<String> = []
            for key in pairs.keys.sorted() {
                let (a, b, serverNames) = pairs[key]!
                for (change, blobs) in fileChanges(a, b, old: old, new: toBundles) {
                    // Same target, modes and diff text: one entry, whatever the blobs (templated files
                    // differ per server yet often change the same way); binaries are told apart by blob.
                    var k = "\(change.target)\u{0}\(change.oldMode ?? 0)\u{0}\(change.newMode ?? 0)\u{0}\(change.diff)"
                    if change.diff.hasPrefix("Binary files") { k += "\u{0}\(blobs)" }
                    files[k, default: change].servers += serverNames
                }
                if !a.isEmpty, !b.isEmpty {
                    if a.reload != b.reload { notes.insert("reload: \(a.reload ?? "(none)") → \(b.reload ?? "(none)")") }
                    if a.health != b.health { notes.insert("health check changed") }
                }
            }
            let fileList = files.values.map { change -> FileChange in
                var c = change
                c.servers.sort()
                return c
            }.sorted { ($0.target, $0.servers.first ?? "") < ($1.target, $1.servers.first ?? "") }
            plans.append(ServicePlan(service: name, change: change, waves: waves, files: fileList, notes: notes.sorted()))
        }
        return Plan(services: plans)
    }

    /// The file-level differences between two bundles of one service (servers left empty).
    static func fileChanges(_ a: Bundle, _ b: Bundle, old: FleetBundles, new: FleetBundles) -> [(FileChange, String)] {
        var before: [String: BundleFile] = [:]
        for f in a.files { before[f.target] = f }
        var after: [String: BundleFile] = [:]
        for f in b.files { after[f.target] = f }
        var out: [(FileChange, String)] = []
        for target in Set(before.keys).union(after.keys).sorted() {
            let x = before[target]
            let y = after[target]
            if let x, let y, x == y { continue }
            let kind: FileChange.Kind = x == nil ? .added : (y == nil ? .removed : .modified)
            var diff = ""
            if x?.blob != y?.blob {
                diff = UnifiedDiff.make(
                    old: x.map { old.blobs[$0.blob] ?? [] }, new: y.map { new.blobs[$0.blob] ?? [] }, path: target)
            }
            out.append(
                (FileChange(target: target, kind: kind, servers: [], oldMode: x?.mode, newMode: y?.mode, diff: diff),
                "\(x?.blob ?? "") \(y?.blob ?? "")"))
        }
        return out
    }
}
