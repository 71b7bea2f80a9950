import Foundation
import TideController
import TideCore

/// `tide rollout ID`: one rollout with a line per server.
enum RolloutCommand: TideCommand {
    static let name = "rollout"
    static let summary = "show one rollout: its state and every server's wave, status and reason"
    static let help = """
        usage: tide rollout ID [--controller URL] [--token-file F] [--json]

        Prints the rollout's service, revision, kind, state, wave k/n, times and counts, then one line
        per server in rollout order: SERVER, WAVE, STATUS (waiting, released, healthy, failed, timed-out,
        offline) and REASON (why it failed or timed out, or its last report's detail).

        arguments:
          ID                 the rollout's id, as `tide rollouts` shows it

        flags:
        \(OperatorClient.commonHelp)

        Exit status: 0; 1 when there is no such rollout or the controller cannot be reached or refuses;
        2 on a usage error.
        """

    static func run(_ args: [String]) async throws -> Int32 {
        let a = try Arguments(args, valueFlags: OperatorClient.valueFlags, booleanFlags: ["json"])
        let id = try OperatorClient.positionals(a, ["ID"])[0]
        let client = try OperatorClient(a)
        let path = "/api/v1/rollouts/\(OperatorClient.segment(id))"
        let body = try await client.get(path, notFound: "no rollout \(id)")
        if a.flag("json") {
            OperatorClient.printJSON(body)
            return 0
        }
        let rollout = try client.decode(RolloutSummary.self, body, from: path)
        print(OperatorText.rollout(rollout, now: OperatorClient.nowMillis), terminator: "")
        return 0
    }
}
