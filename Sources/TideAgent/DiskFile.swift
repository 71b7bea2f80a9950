import Foundation

/// Small POSIX file operations the agent needs, each throwing an `AgentError` that names the path.
enum DiskFile {
    static func errorText() -> String { String(cString: strerror(errno)) }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AgentError(.io, "cannot read \(path): \(errorText())") }
        defer { close(fd) }
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Foundation.read(fd, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw AgentError(.io, "cannot read \(path): \(errorText())")
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    /// Writes all of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AgentError(.io, "cannot write \(path): \(errorText())")
            }
            offset += n
        }
    }

    /// Replaces `path` with `bytes` atomically (temp file, fsync, rename, directory fsync); for the agent's own state.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws {
        let temp = path + ".tmp"
        unlink(temp)
        let fd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode)
        guard fd >= 0 else { throw AgentError(.io, "cannot create \(temp): \(errorText())") }
        do {
            try writeAll(fd, bytes, path: temp)
            guard fsync(fd) == 0 else { throw AgentError(.io, "cannot fsync \(temp): \(errorText())") }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        close(fd)
        guard rename(temp, path) == 0 else {
            unlink(temp)
            throw AgentError(.io, "cannot rename \(temp) to \(path): \(errorText())")
        }
        syncDirectory(of: path)
    }

    /// Appends one line and fsyncs.
    static func appendLine(_ path: String, _ line: String) throws {
        let fd = open(path, O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AgentError(.io, "cannot open \(path): \(errorText())") }
        defer { close(fd) }
        try writeAll(fd, Array((line + "\n").utf8), path: path)
        _ = fsync(fd)
    }

    static func syncDirectory(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    /// mkdir -p with mode 0755 for directories that are missing.
    static func makeDirectories(_ path: String) throws {
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            var st = stat()
            if lstat(current, &st) == 0 { continue }
            if mkdir(current, 0o755) != 0, errno != EEXIST {
                throw AgentError(.io, "cannot create directory \(current): \(errorText())")
            }
        }
    }
}
