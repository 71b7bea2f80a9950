/// `tide pause ID`: stop releasing further waves of a rollout (servers already released keep their bundle).
enum PauseCommand: TideCommand {
    static let name = "pause"
    static let summary = "stop releasing further waves of a rollout (servers already released keep their bundle)"
    static let help = RolloutControl.help("pause", "Stop releasing further waves of a rollout (servers already released keep their bundle).")

    static func run(_ args: [String]) async throws -> Int32 { try await RolloutControl.run(name, args) }
}
