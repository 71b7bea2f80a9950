import Foundation

// `tide <command> [flags]`. Each command lives in its own file as a `TideCommand`.
let commands: [any TideCommand.Type] = [
    ValidateCommand.self,
    PlanCommand.self,
    AgentCommand.self,
    ControllerCommand.self,
]

let args = Array(CommandLine.arguments.dropFirst())
exit(await TideCLI.run(args, commands: commands))
