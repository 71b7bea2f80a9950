import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive `flock` on `<state dir>/lock` holding the owner's pid, so two controllers never share a store.
/// The kernel drops the lock when the process dies, so a crashed controller never leaves it stale.
final class StateLock {
    private let fd: Int32
    let path: String

    init(directory: String) throws {
        path = directory + "/lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError(.io, doing: "opening \(path)", message: String(cString: strerror(errno)))
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let err = errno
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = pread(fd, &buffer, 63, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "unknown"
            if err == EWOULDBLOCK {
                throw StoreError(
                    .locked, doing: "locking \(path)",
                    message: "the state directory \(directory) is held by another live controller (pid \(holder))")
            }
            throw StoreError(.io, doing: "locking \(path)", message: String(cString: strerror(err)))
        }
        let text = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
