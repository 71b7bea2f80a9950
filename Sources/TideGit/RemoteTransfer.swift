import CGit2
import Foundation

/// One fetch or push against a remote: holds the credentials and collects what libgit2's callbacks report.
/// libgit2 runs the callbacks on the calling thread during `git_remote_fetch`/`git_remote_push`; the
/// context reaches them through an unretained `Unmanaged` pointer kept alive for the call.
final class RemoteTransfer {
    let remote: GitRemote
    let token: String?
    let knownHosts: KnownHosts?
    private(set) var credentialAttempts = 0
    /// Why the certificate check refused the server, if it did.
    private(set) var hostKeyFailure: GitError?
    /// Per-ref push results: nil status means the remote accepted the update.
    private(set) var refStatus: [String: String?] = [:]
    /// Text the remote sent on the side band (`remote: ...` lines).
    private(set) var remoteMessages = ""

    init(remote: GitRemote) throws {
        self.remote = remote
        if let file = remote.tokenFile {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw GitError(.invalidInput, "cannot read the token file", doing: "reading \(file)")
            }
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            token = nil
        }
        knownHosts = try remote.knownHostsFile.map { try KnownHosts(contentsOf: $0) }
    }

    /// Fetches `refspecs` into `repository`.
    func fetch(_ repository: RepositoryHandle, refspecs: [String], doing: String) throws {
        let handle = try RemoteHandle(repository: repository, url: remote.url, doing: doing)
        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        options.callbacks = callbacks()
        let result = withExtendedLifetime(self) {
            RemoteHandle.withStrArray(refspecs) { array in
                git_remote_fetch(handle.pointer, &array, &options, "tide: fetch")
            }
        }
        try checkTransfer(result, "git_remote_fetch", doing)
    }

    /// Pushes `refspecs`; returns libgit2's return code (per-ref results are in `refStatus`).
    func push(_ repository: RepositoryHandle, refspecs: [String], doing: String) throws -> Int32 {
        let handle = try RemoteHandle(repository: repository, url: remote.url, doing: doing)
        var options = git_push_options()
        git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION))
        options.callbacks = callbacks()
        refStatus = [:]
        remoteMessages = ""
        return withExtendedLifetime(self) {
            RemoteHandle.withStrArray(refspecs) { array in
                git_remote_push(handle.pointer, &array, &options)
            }
        }
    }

    /// Throws the host key failure when that is what stopped the transfer, else libgit2's error.
    func checkTransfer(_ result: Int32, _ function: String, _ doing: String) throws {
        guard result < 0 else { return }
        if var failure = hostKeyFailure {
            failure.doing = GitError.redacted(doing)
            throw failure
        }
        try check(result, function, doing)
    }

    private func callbacks() -> git_remote_callbacks {
        var callbacks = git_remote_callbacks()
        git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION))
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.credentials = { out, url, usernameFromURL, allowed, payload in
            guard let payload, let out else { return -1 }
            let transfer = Unmanaged<RemoteTransfer>.fromOpaque(payload).takeUnretainedValue()
            return transfer.credential(out, usernameFromURL.map { String(cString: $0) }, allowed)
        }
        callbacks.certificate_check = { cert, valid, host, payload in
            guard let payload, let cert else { return -1 }
            let transfer = Unmanaged<RemoteTransfer>.fromOpaque(payload).takeUnretainedValue()
            return transfer.checkCertificate(cert, valid: valid != 0, host: host.map { String(cString: $0) } ?? "")
        }
        callbacks.sideband_progress = { text, length, payload in
            guard let payload, let text, length > 0 else { return 0 }
            let transfer = Unmanaged<RemoteTransfer>.fromOpaque(payload).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: text, count: Int(length))
            transfer.remoteMessages += String(decoding: bytes, as: UTF8.self)
            return 0
        }
        callbacks.push_update_reference = { refname, status, payload in
            guard let payload, let refname else { return 0 }
            let transfer = Unmanaged<RemoteTransfer>.fromOpaque(payload).takeUnretainedValue()
            transfer.refStatus[String(cString: refname)] = .some(status.map { String(cString: $0) })
            return 0
        }
        return callbacks
    }

    private func credential(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>, _ usernameFromURL: String?,
        _ allowed: UInt32
    ) -> Int32 {
        credentialAttempts += 1
        // libgit2 asks again after a refused login; stop instead of looping.
        guard credentialAttempts <= 3 else { return GIT_EAUTH.rawValue }
        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0, let key = remote.sshKeyFile {
            return git_credential_ssh_key_new(out, usernameFromURL ?? "git", nil, key, nil)
        }
        if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 {
            return git_credential_username_new(out, usernameFromURL ?? "git")
        }
        if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0, let token {
            return git_credential_userpass_plaintext_new(out, usernameFromURL ?? remote.tokenUser, token)
        }
        return GIT_PASSTHROUGH.rawValue
    }

    private func checkCertificate(_ cert: UnsafeMutablePointer<git_cert>, valid: Bool, host: String) -> Int32 {
        guard cert.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 else {
            // TLS: libgit2's own verification against the system's CAs decides.
            return GIT_PASSTHROUGH.rawValue
        }
        let doing = "checking the SSH host key of \(host)"
        guard let knownHosts else {
            hostKeyFailure = GitError(
                .hostKeyUnknown, "no known_hosts file is configured, so no SSH host key is trusted", doing: doing)
            return GIT_ECERTIFICATE.rawValue
        }
        let hostKey = UnsafeMutableRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self).pointee
        let port = remote.sshPort
        let verdict: KnownHosts.Verdict
        if hostKey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostKey.hostkey {
            let blob = Array(UnsafeRawBufferPointer(start: raw, count: hostKey.hostkey_len))
            verdict = knownHosts.verdict(host: host, port: port, key: blob)
        } else if hostKey.type.rawValue & GIT_CERT_SSH_SHA256.rawValue != 0 {
            let digest = withUnsafeBytes(of: hostKey.hash_sha256) { Array($0) }
            verdict = knownHosts.verdict(host: host, port: port, keyType: nil, sha256: digest)
        } else {
            verdict = .unknown
        }
        let name = KnownHosts.name(host: host, port: port)
        switch verdict {
        case .trusted:
            return 0
        case .unknown:
            hostKeyFailure = GitError(
                .hostKeyUnknown,
                "the host key of \(name) is not in \(remote.knownHostsFile ?? "known_hosts"); add it (ssh-keyscan) after checking it",
                doing: doing)
        case .changed:
            hostKeyFailure = GitError(
                .hostKeyChanged,
                "the host key of \(name) differs from the one in \(remote.knownHostsFile ?? "known_hosts"): refusing to connect (possible man-in-the-middle)",
                doing: doing)
        }
        return GIT_ECERTIFICATE.rawValue
    }
}
