import Foundation
import TideController
import TideCore

/// `tide release SERVICE SHA`: lets a revision held for a quarantined bundle roll out.
enum ReleaseCommand: TideCommand {
    static let name = "release"
    static let summary = "let a held service roll out a revision (e.g. one that re-applies a quarantined bundle)"
    static let help = """
        usage: tide release SERVICE SHA [--controller URL] [--token-file F] [--json]

        A service is held when a commit would give servers a bundle that failed before (quarantined), or
        when a revert could not be made or pushed. `tide status` shows why. This tells the controller a
        person has looked and revision SHA may roll out. Audited under the token's name.

        arguments:
          SERVICE            the held service
          SHA                the revision to let roll out (full or abbreviated)

        flags:
        \(OperatorClient.commonHelp)

        Exit status: 0 when released; 1 when the controller refused or cannot be reached; 2 on a usage error.
        """

    static func run(_ args: [String]) async throws -> Int32 {
        let a = try Arguments(args, valueFlags: OperatorClient.valueFlags, booleanFlags: ["json"])
        let p = try OperatorClient.positionals(a, ["SERVICE", "SHA"])
        let client = try OperatorClient(a)
        let path = "/api/v1/services/\(OperatorClient.segment(p[0]))/release"
        let body = try await client.post(path, OperatorAPI.ReleaseRequest(revision: p[1]))
        if a.flag("json") {
            OperatorClient.printJSON(body)
            return 0
        }
        return RolloutControl.report(try client.decode(OperatorAPI.CommandResult.self, body, from: path))
    }
}
