import Foundation
import TideController
import TideCore

/// `tide status`: the controller's view at a glance: source, services, rollouts, holds.
enum StatusCommand: TideCommand {
    static let name = "status"
    static let summary = "the controller at a glance: branch, head, last fetch, each service's rollout and holds"
    static let help = """
        usage: tide status [--controller URL] [--token-file F] [--json]

        Prints the branch and the head the controller last fetched, how long ago (and a STALE warning when
        the last fetch failed), the servers and connected agents, then one row per service: its newest
        revision, its last good revision, healthy/total servers, and its current (or last) rollout with
        state, wave k/n and the released, failed, timed-out and offline counts. A held service is marked
        HELD and its reason is printed below the table.

        flags:
        \(OperatorClient.commonHelp)

        Exit status: 0; 1 when the controller cannot be reached or refuses; 2 on a usage error.
        """

    static func run(_ args: [String]) async throws -> Int32 {
        let a = try Arguments(args, valueFlags: OperatorClient.valueFlags, booleanFlags: ["json"])
        _ = try OperatorClient.positionals(a, [])
        let client = try OperatorClient(a)
        let body = try await client.get("/api/v1/status")
        if a.flag("json") {
            OperatorClient.printJSON(body)
            return 0
        }
        let status = try client.decode(OperatorAPI.Status.self, body, from: "/api/v1/status")
        print(OperatorText.status(status), terminator: "")
        return 0
    }
}
