import Foundation
import TideCore

/// A config repo read from a directory on disk. Symlinks are listed as `.symlink` and never followed;
/// `.git` is skipped.
public struct DirectoryTree: ConfigTree {
    public let root: String

    public init(_ root: String) { self.root = root }

    public var displayName: String { root }

    /// Thrown when the directory or one of its files cannot be read.
    public struct ReadError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    public func entries() throws -> [ConfigTreeEntry] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReadError(path: root, reason: "not a directory")
        }
        var out: [ConfigTreeEntry] = []
        try walk("", into: &out, depth: 0)
        return out.sorted { $0.path < $1.path }
    }

    private func walk(_ relative: String, into out: inout [ConfigTreeEntry], depth: Int) throws {
        guard depth < 64 else { throw ReadError(path: root + "/" + relative, reason: "directories nested too deep") }
        let dir = relative.isEmpty ? root : root + "/" + relative
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: dir)
        } catch {
            throw ReadError(path: dir, reason: "cannot list directory: \(error.localizedDescription)")
        }
        for name in names.sorted() where !(relative.isEmpty && name == ".git") {
            let path = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(root + "/" + path, &info) == 0 else {
                throw ReadError(path: root + "/" + path, reason: String(cString: strerror(errno)))
            }
            switch info.st_mode & S_IFMT {
            case S_IFLNK: out.append(ConfigTreeEntry(path: path, kind: .symlink))
            case S_IFDIR:
                // A nested Git checkout is what a submodule looks like on disk.
                if FileManager.default.fileExists(atPath: root + "/" + path + "/.git") {
                    out.append(ConfigTreeEntry(path: path, kind: .submodule))
                } else {
                    try walk(path, into: &out, depth: depth + 1)
                }
            case S_IFREG:
                out.append(ConfigTreeEntry(path: path, kind: info.st_mode & 0o111 != 0 ? .executable : .file))
            default:
                break  // sockets, fifos, devices: not config
            }
        }
    }

    public func contents(of path: String) throws -> [UInt8] {
        let full = root + "/" + path
        var info = stat()
        if lstat(full, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            return Array((try FileManager.default.destinationOfSymbolicLink(atPath: full)).utf8)
        }
        guard let data = FileManager.default.contents(atPath: full) else {
            throw ReadError(path: full, reason: "cannot read file")
        }
        return [UInt8](data)
    }
}
