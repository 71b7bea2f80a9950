/// A bundle's files, sorted by target. Most bundles of a service differ only in their templated
/// files (a host name rendered into one file of a hundred), so a list is a `base` array shared by
/// every server's bundle of the service, with this bundle's own files at a few positions. At
/// 10,000 servers, one full array per server was 80 MB per revision of such a service; shared, it
/// is one array plus each server's few files. It reads, compares, hashes and encodes (a JSON array)
/// exactly like the plain array it stands for.
public struct FileList: RandomAccessCollection, Hashable, Sendable, Codable, ExpressibleByArrayLiteral {
    private var base: [BundleFile]
    /// Ascending positions whose file is `own[i]` instead of `base[position]`.
    private var slots: [Int]
    private var own: [BundleFile]

    public init(_ files: [BundleFile]) {
        base = files
        slots = []
        own = []
    }

    public init(arrayLiteral elements: BundleFile...) { self.init(elements) }

    /// `base` with `own[i]` at position `slots[i]` (ascending, each within `base`).
    init(base: [BundleFile], slots: [Int], own: [BundleFile]) {
        precondition(slots.count == own.count && slots.allSatisfy { base.indices.contains($0) })
        self.base = base
        self.slots = slots
        self.own = own
    }

    /// The shared array, and this list's own files with their positions: for code that does per-file
    /// work once per shared array (the controller's blob counts).
    public var parts: (base: [BundleFile], slots: [Int], own: [BundleFile]) { (base, slots, own) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { base.count }

    public subscript(position: Int) -> BundleFile {
        if !slots.isEmpty, let k = slots.firstIndex(of: position) { return own[k] }
        return base[position]
    }

    public static func == (a: FileList, b: FileList) -> Bool {
        // Same shared base and same own files: equal without walking the base (when it is one array).
        if a.slots == b.slots, a.own == b.own, a.base == b.base { return true }
        return a.count == b.count && a.elementsEqual(b)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for file in self { hasher.combine(file) }
    }

    public init(from decoder: any Decoder) throws {
        self.init(try [BundleFile](from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for file in self { try container.encode(file) }
    }
}
