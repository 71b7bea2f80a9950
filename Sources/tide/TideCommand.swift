import Foundation

/// One `tide` subcommand.
protocol TideCommand {
    /// The word after `tide`.
    static var name: String { get }
    /// One line for `tide --help`.
    static var summary: String { get }
    /// The full text for `tide <name> --help`: usage and every flag.
    static var help: String { get }
    /// Runs with the arguments after the command word; returns the exit status.
    static func run(_ args: [String]) async throws -> Int32
}

enum TideCLI {
    static func run(_ args: [String], commands: [any TideCommand.Type]) async -> Int32 {
        guard let word = args.first, word != "--help", word != "-h", word != "help" else {
            print(usage(commands))
            return args.isEmpty ? 2 : 0
        }
        guard let command = commands.first(where: { $0.name == word }) else {
            FileHandle.standardError.write(Data("tide: unknown command '\(word)'\n\n\(usage(commands))\n".utf8))
            return 2
        }
        let rest = Array(args.dropFirst())
        if rest.contains("--help") || rest.contains("-h") {
            print(command.help)
            return 0
        }
        do {
            return try await command.run(rest)
        } catch let error as Arguments.UsageError {
            FileHandle.standardError.write(Data("tide \(word): \(error)\nsee: tide \(word) --help\n".utf8))
            return 2
        } catch {
            FileHandle.standardError.write(Data("tide \(word): \(error)\n".utf8))
            return 1
        }
    }

    static func usage(_ commands: [any TideCommand.Type]) -> String {
        var text = "tide — GitOps for fleets of plain servers\n\nusage: tide <command> [flags]\n\ncommands:\n"
        let width = (commands.map { $0.name.count }.max() ?? 0) + 2
        for c in commands {
            text += "  " + c.name.padding(toLength: width, withPad: " ", startingAt: 0) + c.summary + "\n"
        }
        text += "\nRun 'tide <command> --help' for the flags of one command."
        return text
    }
}
