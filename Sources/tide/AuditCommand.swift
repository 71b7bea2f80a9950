import Foundation
import TideController
import TideCore

/// `tide audit`: who did what, when, to which service: people and Tide itself.
enum AuditCommand: TideCommand {
    static let name = "audit"
    static let summary = "the audit log, newest first: time, actor, action, service, revisions, detail"
    static let help = """
        usage: tide audit [--service S] [--limit N] [--controller URL] [--token-file F] [--json]

        One row per record, newest first: TIME, ACTOR (a token's name, a commit's author, or tide for
        automatic actions), ACTION, SERVICE, FROM→TO (revisions before and after) and DETAIL.

        flags:
          --service S        only records about this service
          --limit N          at most N records (default 50)
        \(OperatorClient.commonHelp)

        Exit status: 0; 1 when the controller cannot be reached or refuses; 2 on a usage error.
        """

    static func run(_ args: [String]) async throws -> Int32 {
        let a = try Arguments(args, valueFlags: OperatorClient.valueFlags.union(["service", "limit"]), booleanFlags: ["json"])
        _ = try OperatorClient.positionals(a, [])
        let client = try OperatorClient(a)
        var query = [("limit", "\(try OperatorClient.limit(a, default: 50))")]
        if let service = a.value("service") { query.insert(("service", service), at: 0) }
        let body = try await client.get("/api/v1/audit", query: query)
        if a.flag("json") {
            OperatorClient.printJSON(body)
            return 0
        }
        let audit = try client.decode(OperatorAPI.Audit.self, body, from: "/api/v1/audit")
        print(OperatorText.audit(audit, now: OperatorClient.nowMillis), terminator: "")
        return 0
    }
}
