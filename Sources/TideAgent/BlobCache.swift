import Foundation

/// File contents by id in `<state-dir>/blobs/`, each verified against its SHA-256 id.
struct BlobCache {
    let directory: String

    init(directory: String) throws {
        self.directory = directory
        try DiskFile.makeDirectories(directory)
    }

    func path(_ id: String) -> String { directory + "/" + id }

    static func isValidID(_ id: String) -> Bool {
        id.count == 64 && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    func has(_ id: String) -> Bool { DiskFile.exists(path(id)) }

    /// The content of blob `id`; throws if missing or if it does not hash to its id.
    func read(_ id: String) throws -> [UInt8] {
        let bytes = try DiskFile.read(path(id))
        guard ContentHash.hex(bytes) == id else {
            unlink(path(id))
            throw AgentError(.blobMismatch, "cached blob \(id) is corrupt; removed, it will be fetched again")
        }
        return bytes
    }

    /// Stores `bytes` as blob `id` after checking that they hash to it.
    func store(_ id: String, _ bytes: [UInt8]) throws {
        let actual = ContentHash.hex(bytes)
        guard actual == id else {
            throw AgentError(.blobMismatch, "blob \(id) from the controller hashes to \(actual); refused")
        }
        try DiskFile.writeAtomically(path(id), bytes)
    }
}
