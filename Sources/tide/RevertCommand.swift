import Foundation
import TideController
import TideCore

/// `tide revert SHA`: the controller makes, pushes and rolls out the revert of a commit; no clone needed.
enum RevertCommand: TideCommand {
    static let name = "revert"
    static let summary = "revert a commit in Git from the controller (it makes and pushes the revert commit)"
    static let help = """
        usage: tide revert SHA [--reason TEXT] [--controller URL] [--token-file F] [--json]

        Asks the controller to revert commit SHA on its branch: it makes the revert commit (with the
        reason in its message), pushes it (never forced) and rolls it out with the service's rollback
        policy. Needs an operator or admin token; audited under the token's name.

        arguments:
          SHA                the commit to revert (full or abbreviated)

        flags:
          --reason TEXT      why, for the revert commit's message and the audit log
        \(OperatorClient.commonHelp)

        Exit status: 0 when the revert commit was pushed (its SHA is printed); 1 when the controller
        refused (e.g. the revert conflicts) or cannot be reached; 2 on a usage error.
        """

    static func run(_ args: [String]) async throws -> Int32 {
        let a = try Arguments(args, valueFlags: OperatorClient.valueFlags.union(["reason"]), booleanFlags: ["json"])
        let sha = try OperatorClient.positionals(a, ["SHA"])[0]
        let client = try OperatorClient(a)
        let body = try await client.post(
            "/api/v1/revert", OperatorAPI.RevertRequest(commit: sha, reason: a.value("reason")),
            notFound: "no commit \(sha) on the controller's branch")
        if a.flag("json") {
            OperatorClient.printJSON(body)
            return 0
        }
        let result = try client.decode(OperatorAPI.RevertResult.self, body, from: "/api/v1/revert")
        print("reverted \(OperatorText.shortSHA(result.reverted)) with \(OperatorText.shortSHA(result.revertCommit))")
        print("follow its rollout with: tide watch")
        return 0
    }
}
