import Foundation
import TideController
import TideCore

/// `tide history`: the branch's revisions like `git log --oneline`, each with its rollouts and outcomes.
enum HistoryCommand: TideCommand {
    static let name = "history"
    static let summary = "the branch's revisions, newest first, with the rollouts each started and how they ended"
    static let help = """
        usage: tide history [--limit N] [--controller URL] [--token-file F] [--json]

        Reads like `git log --oneline`: short SHA, age, author and subject of each revision the controller
        fetched, newest first; under each, the rollouts it started per service with their state (failed,
        reverted, held and aborted in capitals).

        flags:
          --limit N          at most N revisions (default 20)
        \(OperatorClient.commonHelp)

        Exit status: 0; 1 when the controller cannot be reached or refuses; 2 on a usage error.
        """

    static func run(_ args: [String]) async throws -> Int32 {
        let a = try Arguments(args, valueFlags: OperatorClient.valueFlags.union(["limit"]), booleanFlags: ["json"])
        _ = try OperatorClient.positionals(a, [])
        let client = try OperatorClient(a)
        let body = try await client.get("/api/v1/history", query: [("limit", "\(try OperatorClient.limit(a, default: 20))")])
        if a.flag("json") {
            OperatorClient.printJSON(body)
            return 0
        }
        let history = try client.decode(OperatorAPI.History.self, body, from: "/api/v1/history")
        print(OperatorText.history(history, now: OperatorClient.nowMillis), terminator: "")
        return 0
    }
}
