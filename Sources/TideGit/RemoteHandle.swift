import CGit2
import Foundation

/// An anonymous libgit2 remote (a URL, no config entry) used for one fetch or push.
final class RemoteHandle {
    let pointer: OpaquePointer

    init(repository: RepositoryHandle, url: String, doing: @autoclosure () -> String) throws {
        var raw: OpaquePointer?
        try check(git_remote_create_anonymous(&raw, repository.pointer, url), "git_remote_create_anonymous", doing())
        pointer = raw!
    }

    deinit { git_remote_free(pointer) }

    /// Calls `body` with a `git_strarray` holding `strings`, valid for the call only.
    static func withStrArray<T>(_ strings: [String], _ body: (inout git_strarray) -> T) -> T {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var pointers: [UnsafeMutablePointer<CChar>?] = copies
        return pointers.withUnsafeMutableBufferPointer { buffer in
            var array = git_strarray(strings: buffer.baseAddress, count: buffer.count)
            return body(&array)
        }
    }
}
