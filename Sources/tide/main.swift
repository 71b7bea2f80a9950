import Foundation
import TideController

// `tide <command> [flags]`. Each command lives in its own file as a `TideCommand`.
let commands: [any TideCommand.Type] = [
    ValidateCommand.self,
    PlanCommand.self,
    AgentCommand.self,
    ControllerCommand.self,
    StatusCommand.self,
    WatchCommand.self,
    RolloutsCommand.self,
    RolloutCommand.self,
    ServersCommand.self,
    PauseCommand.self,
    ResumeCommand.self,
    AbortCommand.self,
    PromoteCommand.self,
    RevertCommand.self,
    ReleaseCommand.self,
    HistoryCommand.self,
    AuditCommand.self,
]

let args = Array(CommandLine.arguments.dropFirst())
// Before any other thread exists (see `Controller.limitMallocArenas`).
if args.first == ControllerCommand.name { Controller.limitMallocArenas() }
exit(await TideCLI.run(args, commands: commands))
