import Foundation
import TideCore

/// One service's files placed as one set: all new files are written to temporary files beside
/// their targets first, then all are renamed into place; on any failure every file is put back.
///
/// A journal in the state directory lists the set while it is in flight, so an agent killed half-way
/// puts the old files back on its next start (`recover`).
struct FileSet {
    /// One file of the set: written (with `file`) or removed (`file == nil`).
    struct Change: Codable, Sendable {
        var target: String
        var file: BundleFile?
        var existed: Bool

        var isRemoval: Bool { file == nil }
    }

    /// The in-flight record, written before the first byte of a new file.
    struct Journal: Codable {
        var service: String
        var bundle: String
        var paths: [String]
        /// Per path: whether a file was there before the set (one that was not is removed on rollback).
        var existed: [String: Bool]
    }

    let root: String
    let allowedRoots: [String]
    let journalPath: String
    let blobs: BlobCache
    /// Test-only: wait for this file to exist before renaming (TIDE_AGENT_TEST_PAUSE_BEFORE_RENAME).
    let pauseBeforeRename: String?

    /// Where `target` lives on this machine: `--root` prefixed.
    func path(_ target: String) -> String {
        root == "/" ? target : root + target
    }

    static func tempPath(_ path: String) -> String { sibling(path, ".tide-new") }
    static func backupPath(_ path: String) -> String { sibling(path, ".tide-old") }

    private static func sibling(_ path: String, _ suffix: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().path + "/." + url.lastPathComponent + suffix
    }

    /// Throws unless `target` is a clean absolute path inside one of the allowed roots.
    func checkAllowed(_ target: String, service: String) throws {
        let parts = target.split(separator: "/", omittingEmptySubsequences: false)
        guard target.hasPrefix("/"), target.count > 1, !target.hasSuffix("/"),
            !parts.dropFirst().contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
        else {
            throw AgentError(.targetRefused, "service \(service): target \(target) is not a clean absolute file path")
        }
        let inside = allowedRoots.contains { root in
            root == "/" || target == root || target.hasPrefix(root.hasSuffix("/") ? root : root + "/")
        }
        guard inside else {
            throw AgentError(
                .targetRefused,
                "service \(service): target \(target) is outside the allowed roots (\(allowedRoots.joined(separator: ", ")))")
        }
    }

    /// The changes that bring the disk from what it holds to `new`, removing files of `old` that left it.
    func plan(service: String, old: TideCore.Bundle?, new: TideCore.Bundle) throws -> [Change] {
        var changes: [Change] = []
        let keep = Set(new.files.map { $0.target })
        for file in new.files {
            try checkAllowed(file.target, service: service)
            let p = path(file.target)
            var st = stat()
            if lstat(p, &st) != 0 {
                changes.append(Change(target: file.target, file: file, existed: false))
                continue
            }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                throw AgentError(.targetRefused, "service \(service): target \(file.target) is a directory on this server")
            }
            if try !matches(p, st, file) { changes.append(Change(target: file.target, file: file, existed: true)) }
        }
        for file in old?.files ?? [] where !keep.contains(file.target) {
            if DiskFile.exists(path(file.target)) {
                changes.append(Change(target: file.target, file: nil, existed: true))
            }
        }
        return changes
    }

    /// Whether the file at `p` already has the content, mode and (when set) owner and group of `file`.
    private func matches(_ p: String, _ st: stat, _ file: BundleFile) throws -> Bool {
        guard (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) == file.size, (st.st_mode & 0o7777) == mode_t(file.mode)
        else { return false }
        if let owner = file.owner, let uid = try? Self.userID(owner), uid != st.st_uid { return false }
        if let group = file.group, let gid = try? Self.groupID(group), gid != st.st_gid { return false }
        return ContentHash.hex(try DiskFile.read(p)) == file.blob
    }

    static func userID(_ name: String) throws -> uid_t {
        if let pw = getpwnam(name) { return pw.pointee.pw_uid }
        if let n = UInt32(name) { return n }
        throw AgentError(.owner, "owner '\(name)' does not exist on this server")
    }

    static func groupID(_ name: String) throws -> gid_t {
        if let gr = getgrnam(name) { return gr.pointee.gr_gid }
        if let n = UInt32(name) { return n }
        throw AgentError(.owner, "group '\(name)' does not exist on this server")
    }

    /// Writes every new file beside its target, then renames all into place. On failure every file is
    /// put back as it was and the error is thrown. On success the set stays open: call `commit` once
    /// reload succeeded, or `rollback`.
    func place(service: String, bundle: String, _ changes: [Change]) throws {
        let paths = changes.map { path($0.target) }
        let existed = Dictionary(changes.map { (path($0.target), $0.existed) }, uniquingKeysWith: { a, _ in a })
        try writeJournal(Journal(service: service, bundle: bundle, paths: paths, existed: existed))
        do {
            for change in changes {
                guard let file = change.file else { continue }
                try writeTemp(path(change.target), file, service: service)
            }
            if let pause = pauseBeforeRename { waitForTestFile(pause) }
            for change in changes {
                let p = path(change.target)
                if change.existed {
                    let backup = Self.backupPath(p)
                    unlink(backup)
                    guard link(p, backup) == 0 else {
                        throw AgentError(.io, "service \(service): cannot keep the old \(change.target): \(DiskFile.errorText())")
                    }
                }
                if change.isRemoval {
                    if unlink(p) != 0, errno != ENOENT {
                        throw AgentError(.io, "service \(service): cannot remove \(change.target): \(DiskFile.errorText())")
                    }
                } else if rename(Self.tempPath(p), p) != 0 {
                    throw AgentError(.io, "service \(service): cannot rename into \(change.target): \(DiskFile.errorText())")
                }
            }
            for dir in Set(paths.map { ($0 as NSString).deletingLastPathComponent }) {
                DiskFile.syncDirectory(of: dir + "/x")
            }
        } catch {
            rollback(paths: paths, existed: existed)
            throw error
        }
    }

    private func writeTemp(_ p: String, _ file: BundleFile, service: String) throws {
        let content = try blobs.read(file.blob)
        var uid: uid_t = uid_t.max
        var gid: gid_t = gid_t.max
        if let owner = file.owner { uid = try Self.userID(owner) }
        if let group = file.group { gid = try Self.groupID(group) }
        let dir = (p as NSString).deletingLastPathComponent
        try DiskFile.makeDirectories(dir)
        var old = stat()
        let hadOld = lstat(p, &old) == 0
        let temp = Self.tempPath(p)
        unlink(temp)
        let fd = open(temp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw AgentError(.io, "service \(service): cannot create a temporary file beside \(file.target): \(DiskFile.errorText())")
        }
        defer { close(fd) }
        try DiskFile.writeAll(fd, content, path: temp)
        if uid != uid_t.max || gid != gid_t.max {
            guard fchown(fd, uid, gid) == 0 else {
                throw AgentError(
                    .owner,
                    "service \(service): cannot give \(file.target) owner \(file.owner ?? "-") group \(file.group ?? "-"): \(DiskFile.errorText())")
            }
        } else if hadOld, geteuid() == 0 {
            // Owner and group unset: keep what the file had.
            _ = fchown(fd, old.st_uid, old.st_gid)
        }
        guard fchmod(fd, mode_t(file.mode & 0o7777)) == 0 else {
            throw AgentError(.io, "service \(service): cannot set mode of \(file.target): \(DiskFile.errorText())")
        }
        guard fsync(fd) == 0 else {
            throw AgentError(.io, "service \(service): cannot fsync \(file.target): \(DiskFile.errorText())")
        }
    }

    /// Makes the set final: removes the old copies and the journal.
    func commit(paths: [String]) {
        for p in paths { unlink(Self.backupPath(p)); unlink(Self.tempPath(p)) }
        unlink(journalPath)
        DiskFile.syncDirectory(of: journalPath)
    }

    /// Puts every file of the set back as it was before `place`.
    func rollback(paths: [String], existed: [String: Bool]) {
        for p in paths.reversed() {
            let backup = Self.backupPath(p)
            if DiskFile.exists(backup) {
                rename(backup, p)
            } else if existed[p] == false {
                unlink(p)
            }
            unlink(Self.tempPath(p))
        }
        for dir in Set(paths.map { ($0 as NSString).deletingLastPathComponent }) { DiskFile.syncDirectory(of: dir + "/x") }
        unlink(journalPath)
        DiskFile.syncDirectory(of: journalPath)
    }

    private func writeJournal(_ journal: Journal) throws {
        try DiskFile.writeAtomically(journalPath, Array(try JSONEncoder().encode(journal)))
    }

    /// After a crash: a set whose bundle the manifest records is finished (old copies removed);
    /// any other is rolled back. Returns the service whose set was rolled back, if any.
    func recover(manifest: Manifest) -> String? {
        guard DiskFile.exists(journalPath),
            let bytes = try? DiskFile.read(journalPath),
            let journal = try? JSONDecoder().decode(Journal.self, from: Data(bytes))
        else {
            unlink(journalPath)
            return nil
        }
        if manifest.services[journal.service]?.bundle.id == journal.bundle {
            commit(paths: journal.paths)
            return nil
        }
        rollback(paths: journal.paths, existed: journal.existed)
        return journal.service
    }

    private func waitForTestFile(_ path: String) {
        _ = FileManager.default.createFile(atPath: path + ".waiting", contents: nil)
        for _ in 0..<6000 where !DiskFile.exists(path) { usleep(10_000) }
    }
}
