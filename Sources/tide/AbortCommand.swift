/// `tide abort ID`: stop a rollout for good: no further waves, and released servers go back to the last good bundle.
enum AbortCommand: TideCommand {
    static let name = "abort"
    static let summary = "stop a rollout for good: no further waves, and released servers go back to the last good bundle"
    static let help = RolloutControl.help("abort", "Stop a rollout for good: no further waves; released servers keep what they have.")

    static func run(_ args: [String]) async throws -> Int32 { try await RolloutControl.run(name, args) }
}
