import Foundation
import TideController
import TideCore

/// `tide rollouts`: recent rollouts, newest first, like `kubectl get`.
enum RolloutsCommand: TideCommand {
    static let name = "rollouts"
    static let summary = "list recent rollouts, newest first: state, wave, failed / timed-out / offline counts"
    static let help = """
        usage: tide rollouts [--service S] [--limit N] [--controller URL] [--token-file F] [--json]

        One row per rollout, newest first: ID, SERVICE, REVISION, KIND (change, revert, tide-revert),
        STATE (a trailing ! marks a breach), WAVE k/n, RELEASED, HEALTHY, FAILED, TIMED-OUT, OFFLINE, AGE.
        Failed, timed-out and offline servers are counted apart: only the first two are failures.

        flags:
          --service S        only this service's rollouts
          --limit N          at most N rollouts (default 20)
        \(OperatorClient.commonHelp)

        Exit status: 0; 1 when the controller cannot be reached or refuses; 2 on a usage error.
        """

    static func run(_ args: [String]) async throws -> Int32 {
        let a = try Arguments(args, valueFlags: OperatorClient.valueFlags.union(["service", "limit"]), booleanFlags: ["json"])
        _ = try OperatorClient.positionals(a, [])
        let client = try OperatorClient(a)
        var query = [("limit", "\(try OperatorClient.limit(a, default: 20))")]
        if let service = a.value("service") { query.insert(("service", service), at: 0) }
        let body = try await client.get("/api/v1/rollouts", query: query)
        if a.flag("json") {
            OperatorClient.printJSON(body)
            return 0
        }
        let list = try client.decode(OperatorAPI.Rollouts.self, body, from: "/api/v1/rollouts")
        print(OperatorText.rollouts(list, now: OperatorClient.nowMillis), terminator: "")
        return 0
    }
}
