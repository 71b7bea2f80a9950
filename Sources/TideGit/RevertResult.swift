/// Revert commits written in the mirror on top of a branch head (no ref moved).
public struct RevertResult: Sendable, Hashable {
    /// One reverted commit and the commit that reverts it.
    public struct Revert: Sendable, Hashable {
        public var reverted: String
        public var revert: String
    }

    /// The head the reverts were built on.
    public var base: String
    /// The last revert commit (== `base` when every revert was empty).
    public var head: String
    /// In the order made (newest reverted commit first).
    public var reverts: [Revert]
    /// Commits whose revert changed nothing (already reverted on the head), so no commit was made.
    public var alreadyReverted: [String]
}
