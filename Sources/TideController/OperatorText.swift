import TideCore

/// The operator API's answers as text for people: aligned columns, relative times, short SHAs.
///
/// Pure functions from `OperatorAPI` values to `String` (ending in a newline), so the `tide` CLI stays
/// thin and the texts are tested here. Times are milliseconds since the Unix epoch; `now` is passed in.
public enum OperatorText {
    /// "3s ago", "5m ago", "2h ago", "4d ago", like `git log --date=relative`; "just now" for the future.
    public static func relativeTime(_ then: Int64, now: Int64) -> String {
        let seconds = (now - then) / 1000
        if seconds < 0 { return "just now" }
        return age(then, now: now) + " ago"
    }

    /// "3s", "5m", "2h", "4d": the AGE column of `kubectl get`.
    public static func age(_ then: Int64, now: Int64) -> String {
        let seconds = max(0, (now - then) / 1000)
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m" }
        if seconds < 86400 { return "\(seconds / 3600)h" }
        return "\(seconds / 86400)d"
    }

    /// The first 7 characters of a SHA, as `git log --oneline` shows it; "-" for none.
    public static func shortSHA(_ sha: String?) -> String {
        guard let sha, !sha.isEmpty else { return "-" }
        return String(sha.prefix(7))
    }

    /// How a rollout's kind reads: `change`, `revert` (a person's `git revert`), `tide-revert`.
    public static func kind(_ kind: NewRevision.Kind) -> String {
        switch kind {
        case .change: return "change"
        case .manualRevert: return "revert"
        case .tideRevert: return "tide-revert"
        }
    }

    /// How a server's part in a rollout reads: `timedOut` as `timed-out`.
    public static func serverStatus(_ status: Rollout.ServerStatus) -> String {
        status == .timedOut ? "timed-out" : status.rawValue
    }

    /// `2/4`: the current wave (1-based) of all waves.
    public static func wave(_ r: RolloutSummary) -> String { "\(r.wave)/\(r.waves)" }

    /// True for the end states a person must look at: aborted, reverted, held (and a failing rollout).
    public static func isBadEnd(_ state: Rollout.State) -> Bool {
        switch state {
        case .failed, .reverting, .reverted, .held, .aborted: return true
        case .pending, .verifying, .baking, .paused, .succeeded, .superseded: return false
        }
    }
}
