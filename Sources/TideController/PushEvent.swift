/// A push to a branch, as told by a forge webhook.
public struct PushEvent: Sendable, Equatable {
    public var forge: Forge
    /// The full ref, `refs/heads/main`.
    public var ref: String
    /// The branch name when `ref` is a branch, else nil (a tag).
    public var branch: String? {
        ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : nil
    }
    /// The commit the ref points to after the push (all zeros when the ref was deleted).
    public var after: String
    /// The repository's clone URLs as the forge names them (https, ssh, git), for matching and the audit log.
    public var repositoryURLs: [String]
    /// Who pushed, for the audit log (a login or a name), when the forge says.
    public var pusher: String?
    /// The delivery id the forge gives the call, when any (`X-GitHub-Delivery` ...).
    public var delivery: String?

    public init(
        forge: Forge, ref: String, after: String, repositoryURLs: [String], pusher: String? = nil,
        delivery: String? = nil
    ) {
        self.forge = forge
        self.ref = ref
        self.after = after
        self.repositoryURLs = repositoryURLs
        self.pusher = pusher
        self.delivery = delivery
    }

    /// Whether the push deleted the ref (`after` is all zeros).
    public var deletesRef: Bool { !after.isEmpty && after.allSatisfy { $0 == "0" } }
}
