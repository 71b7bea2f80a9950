/// A Git forge that sends push webhooks: the last segment of `POST /hooks/{forge}`.
public enum Forge: String, Sendable, CaseIterable {
    case github, gitlab, gitea

    /// The header that names the event type.
    public var eventHeader: String {
        switch self {
        case .github: "X-GitHub-Event"
        case .gitlab: "X-Gitlab-Event"
        case .gitea: "X-Gitea-Event"
        }
    }

    /// The header that carries the signature (or, for GitLab, the secret token itself).
    public var signatureHeader: String {
        switch self {
        case .github: "X-Hub-Signature-256"
        case .gitlab: "X-Gitlab-Token"
        case .gitea: "X-Gitea-Signature"
        }
    }

    /// The event type value of a push.
    public var pushEvent: String {
        switch self {
        case .github: "push"
        case .gitlab: "Push Hook"
        case .gitea: "push"
        }
    }
}
