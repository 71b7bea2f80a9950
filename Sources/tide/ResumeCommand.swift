/// `tide resume ID`: let a paused rollout continue with its next wave.
enum ResumeCommand: TideCommand {
    static let name = "resume"
    static let summary = "let a paused rollout continue with its next wave"
    static let help = RolloutControl.help("resume", "Let a paused rollout continue with its next wave.")

    static func run(_ args: [String]) async throws -> Int32 { try await RolloutControl.run(name, args) }
}
