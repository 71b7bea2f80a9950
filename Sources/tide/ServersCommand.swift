import Foundation
import TideController
import TideCore

/// `tide servers`: every server, when it was last heard from, and what it holds per service.
enum ServersCommand: TideCommand {
    static let name = "servers"
    static let summary = "list servers: last seen, and per service the target revision, bundle and last report"
    static let help = """
        usage: tide servers [--controller URL] [--token-file F] [--json]

        One row per server and service: SERVER, SEEN (its agent's last report), SERVICE, REVISION and
        BUNDLE it should hold, IN SYNC (its last report is on that bundle), PHASE and DETAIL of that report.

        flags:
        \(OperatorClient.commonHelp)

        Exit status: 0; 1 when the controller cannot be reached or refuses; 2 on a usage error.
        """

    static func run(_ args: [String]) async throws -> Int32 {
        let a = try Arguments(args, valueFlags: OperatorClient.valueFlags, booleanFlags: ["json"])
        _ = try OperatorClient.positionals(a, [])
        let client = try OperatorClient(a)
        let body = try await client.get("/api/v1/servers")
        if a.flag("json") {
            OperatorClient.printJSON(body)
            return 0
        }
        let list = try client.decode(OperatorAPI.Servers.self, body, from: "/api/v1/servers")
        print(OperatorText.servers(list, now: OperatorClient.nowMillis), terminator: "")
        return 0
    }
}
