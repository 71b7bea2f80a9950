/// One file of a bundle: where it goes, its permissions and its content's id (SHA-256 of the bytes).
public struct BundleFile: Hashable, Sendable, Codable {
    public var target: String
    public var mode: UInt32
    public var owner: String?
    public var group: String?
    /// SHA-256 hex of the content; the agent fetches it from `/v1/blobs/{blob}`.
    public var blob: String
    public var size: Int

    public init(target: String, mode: UInt32, owner: String? = nil, group: String? = nil, blob: String, size: Int) {
        self.target = target
        self.mode = mode
        self.owner = owner
        self.group = group
        self.blob = blob
        self.size = size
    }
}

/// What one server should hold for one service at one revision. Its `id` is a hash of that content,
/// so two revisions that give a server the same files, reload and health give it the same bundle.
public struct Bundle: Hashable, Sendable, Codable {
    public var id: String
    public var service: String
    /// Sorted by target.
    public var files: FileList
    public var reload: String?
    public var health: HealthCheck?

    public init(service: String, files: [BundleFile], reload: String?, health: HealthCheck?) {
        self.service = service
        let sorted = files.sorted { $0.target < $1.target }
        self.files = FileList(sorted)
        self.reload = reload
        self.health = health
        self.id = Bundle.computeID(service: service, files: sorted, reload: reload, health: health)
    }

    /// The empty bundle: the service has no files on this server (it was removed, or never placed there).
    public static func empty(service: String) -> Bundle { Bundle(service: service, files: [], reload: nil, health: nil) }

    public var isEmpty: Bool { files.isEmpty && reload == nil && health == nil }

    /// A bundle whose `files` are already sorted by target and whose id was computed from them.
    init(service: String, sortedFiles: FileList, reload: String?, health: HealthCheck?, id: String) {
        self.service = service
        self.files = sortedFiles
        self.reload = reload
        self.health = health
        self.id = id
    }

    /// A canonical text of the content, hashed; independent of JSON encoders and dictionary order.
    static func computeID(service: String, files: some Sequence<BundleFile>, reload: String?, health: HealthCheck?) -> String {
        var hasher = SHA256()
        hasher.update(canonicalHeader(service: service))
        for f in files { hasher.update(canonicalLine(f)) }
        hasher.update(canonicalTrailer(reload: reload, health: health))
        return hasher.finalize().hexString
    }

    /// The first line of the canonical text.
    static func canonicalHeader(service: String) -> String { "tide-bundle-v1\nservice \(service.count):\(service)\n" }

    /// One file's line of the canonical text.
    static func canonicalLine(_ f: BundleFile) -> String {
        "file \(f.target.count):\(f.target) \(String(f.mode, radix: 8)) \(f.blob) "
            + "owner \((f.owner ?? "").count):\(f.owner ?? "") group \((f.group ?? "").count):\(f.group ?? "")\n"
    }

    /// The reload and health lines that end the canonical text.
    static func canonicalTrailer(reload: String?, health: HealthCheck?) -> String {
        var text = ""
        if let reload { text += "reload \(reload.count):\(reload)\n" }
        if let health {
            switch health.probe {
            case .command(let c): text += "health command \(c.count):\(c)"
            case .http(let u): text += "health http \(u.count):\(u)"
            }
            text += " \(health.interval.milliseconds) \(health.timeout.milliseconds) \(health.retries)\n"
        }
        return text
    }
}
