import TideCore

/// What `ConfigLoader` keeps between loads so that a file whose content did not change is neither read
/// nor parsed again: file bytes, parsed YAML documents and each inventory file's servers, by path and
/// content (the Git blob id when the tree gives one, else the bytes themselves).
///
/// Only per-file results are kept; the checks across files (duplicate servers, selectors, targets,
/// templates) run on every load, so a warm load gives exactly the config and diagnostics of a cold one.
/// Entries not used by the last two loads are dropped. Not thread-safe: use one cache from one thread
/// or actor at a time.
public final class ConfigLoadCache {
    /// How a file's content is recognised: its Git blob id, or (for trees without ids) its bytes.
    enum Content: Equatable {
        case id(String)
        case bytes([UInt8])
    }

    struct Entry<Value> {
        var content: Content
        var value: Value
        var used: Int
    }

    /// One step of reading an inventory file, replayed in order on every load: diagnostics of the file
    /// alone, and servers, whose duplicate check spans files.
    enum InventoryStep {
        case diagnostics([Diagnostic])
        /// A server entry with a valid name; `labelDiagnostics` are reported only when it is no duplicate.
        case server(Server, position: SourcePosition, labelDiagnostics: [Diagnostic])
    }

    /// What a service's result depends on: every entry under its directory with its content id, and the
    /// fleet defaults its policies inherit.
    struct ServiceInputs: Equatable {
        var entries: [ConfigTreeEntry]
        var rolloutDefaults: RolloutPolicy
        var rollbackDefaults: RolloutPolicy
    }

    /// Everything loading one service added to the loader, replayed as is.
    struct ServiceResult {
        var spec: ServiceSpec?
        var diagnostics: [Diagnostic]
        var selectorPosition: SourcePosition?
        var placedTargets: [(target: String, position: SourcePosition)]?
        var templated: [(path: String, position: SourcePosition)]?
        var files: [(path: String, bytes: [UInt8])]
    }

    var services: [String: (inputs: ServiceInputs, result: ServiceResult, used: Int)] = [:]
    var bytes: [String: Entry<[UInt8]>] = [:]
    var documents: [String: Entry<(root: YAMLNode?, problems: [Diagnostic])>] = [:]
    var inventories: [String: Entry<[InventoryStep]>] = [:]
    var generation = 0

    /// Files whose parse result was reused / computed, over the cache's life (for tests and benchmarks).
    public private(set) var hits = 0
    public private(set) var misses = 0

    public init() {}

    func bytes(_ path: String, _ content: Content) -> [UInt8]? {
        guard var entry = bytes[path], entry.content == content else { return nil }
        entry.used = generation
        bytes[path] = entry
        return entry.value
    }

    func storeBytes(_ path: String, _ content: Content, _ value: [UInt8]) {
        bytes[path] = Entry(content: content, value: value, used: generation)
    }

    func document(_ path: String, _ content: Content) -> (root: YAMLNode?, problems: [Diagnostic])? {
        guard var entry = documents[path], entry.content == content else {
            misses += 1
            return nil
        }
        hits += 1
        entry.used = generation
        documents[path] = entry
        return entry.value
    }

    func storeDocument(_ path: String, _ content: Content, _ value: (root: YAMLNode?, problems: [Diagnostic])) {
        documents[path] = Entry(content: content, value: value, used: generation)
    }

    func inventory(_ path: String, _ content: Content) -> [InventoryStep]? {
        guard var entry = inventories[path], entry.content == content else {
            misses += 1
            return nil
        }
        hits += 1
        entry.used = generation
        inventories[path] = entry
        return entry.value
    }

    func storeInventory(_ path: String, _ content: Content, _ steps: [InventoryStep]) {
        inventories[path] = Entry(content: content, value: steps, used: generation)
    }

    func service(_ name: String, _ inputs: ServiceInputs) -> ServiceResult? {
        guard var entry = services[name], entry.inputs == inputs else {
            misses += 1
            return nil
        }
        hits += 1
        entry.used = generation
        services[name] = entry
        return entry.result
    }

    func storeService(_ name: String, _ inputs: ServiceInputs, _ result: ServiceResult) {
        services[name] = (inputs, result, generation)
    }

    /// Starts a load: entries used from now on are marked with the new generation.
    func beginLoad() { generation += 1 }

    /// Ends a load: drops what neither this load nor the one before used.
    func endLoad() {
        let keep = generation - 1
        bytes = bytes.filter { $0.value.used >= keep }
        documents = documents.filter { $0.value.used >= keep }
        inventories = inventories.filter { $0.value.used >= keep }
        services = services.filter { $0.value.used >= keep }
    }
}
