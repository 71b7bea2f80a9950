/// `tide promote ID`: skip the current wave's bake time and release the next wave now.
enum PromoteCommand: TideCommand {
    static let name = "promote"
    static let summary = "skip the current wave's bake time and release the next wave now"
    static let help = RolloutControl.help("promote", "Skip the current wave's bake time and release the next wave now.")

    static func run(_ args: [String]) async throws -> Int32 { try await RolloutControl.run(name, args) }
}
