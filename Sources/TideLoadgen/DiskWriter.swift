import Foundation
import TideCore

/// `--disk DIR`: writes a server's files under `DIR/<server>/<target>`, each through a temp file
/// and a rename, and removes the files of the old bundle that the new one no longer has.
/// No journal, owner or fsync: enough to see the bytes land, not the real agent's guarantees.
enum DiskWriter {
    static func apply(root: String, server: String, old: TideCore.Bundle?, new: TideCore.Bundle, blobs: BlobStore) throws {
        let base = URL(fileURLWithPath: root).appendingPathComponent(server)
        let fm = FileManager.default
        for file in new.files {
            guard let bytes = blobs.blob(file.blob)?.bytes else {
                throw LoadgenError("\(file.target): blob \(file.blob.prefix(12)) is not in the cache")
            }
            let target = base.appendingPathComponent(file.target)
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temp = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).tide-new")
            try Data(bytes).write(to: temp)
            _ = chmod(temp.path, mode_t(file.mode & 0o7777))
            if rename(temp.path, target.path) != 0 {
                throw LoadgenError("\(target.path): rename failed: \(String(cString: strerror(errno)))")
            }
        }
        let kept = Set(new.files.map(\.target))
        for file in old?.files ?? [] where !kept.contains(file.target) {
            try? fm.removeItem(at: base.appendingPathComponent(file.target))
        }
    }
}
