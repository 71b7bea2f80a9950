import Foundation
import TideController
import TideCore

/// What `tide pause|resume|abort|promote ID` share: `POST /api/v1/rollouts/{id}/{action}` and the answer.
enum RolloutControl {
    /// The `--help` text of one action.
    static func help(_ action: String, _ what: String) -> String {
        """
        usage: tide \(action) ID [--controller URL] [--token-file F] [--json]

        \(what)
        Sends POST /api/v1/rollouts/ID/\(action) with the token from --token-file (an operator or admin
        token); the controller writes it to the audit log under the token's name.

        arguments:
          ID                 the rollout's id, as `tide rollouts` shows it

        flags:
        \(OperatorClient.commonHelp)

        Exit status: 0 when the controller did it; 1 when it refused (the reason is printed), there is
        no such rollout, or the controller cannot be reached; 2 on a usage error.
        """
    }

    static func run(_ action: String, _ args: [String]) async throws -> Int32 {
        let a = try Arguments(args, valueFlags: OperatorClient.valueFlags, booleanFlags: ["json"])
        let id = try OperatorClient.positionals(a, ["ID"])[0]
        let client = try OperatorClient(a)
        let path = "/api/v1/rollouts/\(OperatorClient.segment(id))/\(action)"
        let body = try await client.post(path, notFound: "no rollout \(id)")
        if a.flag("json") {
            OperatorClient.printJSON(body)
            return 0
        }
        let result = try client.decode(OperatorAPI.CommandResult.self, body, from: path)
        return report(result)
    }

    /// Prints a `CommandResult`: its message, then the rollout's progress line; 0 when ok, else 1.
    static func report(_ result: OperatorAPI.CommandResult) -> Int32 {
        if result.ok {
            print(result.message)
        } else {
            FileHandle.standardError.write(Data("refused: \(result.message)\n".utf8))
        }
        if let r = result.rollout { print(RolloutWatch.progressLine(r)) }
        return result.ok ? 0 : 1
    }
}
