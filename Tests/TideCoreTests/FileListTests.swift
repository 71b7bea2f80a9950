import Foundation
import Testing

@testable import TideCore

@Suite struct FileListTests {
    static func file(_ target: String, _ blob: String) -> BundleFile {
        BundleFile(target: target, mode: 0o644, blob: blob, size: blob.count)
    }

    let base = (0..<5).map { FileListTests.file("/etc/f\($0)", "b\($0)") }

    @Test func aSharedBaseWithOwnFilesIsThePlainListItStandsFor() throws {
        let own = [Self.file("/etc/f1", "mine"), Self.file("/etc/f4", "also-mine")]
        let shared = FileList(base: base, slots: [1, 4], own: own)
        var plain = base
        plain[1] = own[0]
        plain[4] = own[1]
        let list = FileList(plain)
        #expect(Array(shared) == plain)
        #expect(shared.count == 5 && shared[1].blob == "mine" && shared[0].blob == "b0" && shared[4].blob == "also-mine")
        #expect(shared == list && list == shared)
        #expect(shared.hashValue == list.hashValue)
        #expect(Set([shared, list]).count == 1)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(shared) == encoder.encode(plain), "encoded as the plain JSON array")
        let decoded = try JSONDecoder().decode(FileList.self, from: encoder.encode(shared))
        #expect(decoded == shared)
    }

    @Test func listsThatDifferAreNotEqual() {
        let a = FileList(base: base, slots: [2], own: [Self.file("/etc/f2", "x")])
        let b = FileList(base: base, slots: [2], own: [Self.file("/etc/f2", "y")])
        #expect(a != b)
        #expect(a != FileList(base))
        #expect(FileList(Array(base.prefix(4))) != FileList(base))
        #expect(FileList(base) == FileList(base.map { $0 }))
    }

    /// Every server's bundle of a templated service shares one base: same ids and contents as before.
    @Test func templatedBundlesAreCorrectAndShareOneBase() throws {
        let fixed = [Self.file("/etc/a", "1"), Self.file("/etc/c", "3")]
        let bundle = Bundle(service: "web", files: fixed + [Self.file("/etc/b", "2")], reload: nil, health: nil)
        #expect(bundle.files.map(\.target) == ["/etc/a", "/etc/b", "/etc/c"])
        #expect(bundle.id == Bundle.computeID(service: "web", files: Array(bundle.files), reload: nil, health: nil))
    }
}
