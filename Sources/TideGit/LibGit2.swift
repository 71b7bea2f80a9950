import CGit2

/// Initialises libgit2 once per process, on first use of any TideGit type.
enum LibGit2 {
    static let initialized: Bool = {
        git_libgit2_init()
        return true
    }()

    /// Makes sure `git_libgit2_init()` has run; cheap after the first call.
    static func ensure() { _ = initialized }
}
