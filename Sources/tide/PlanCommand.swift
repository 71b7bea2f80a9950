import Foundation
import TideConfig
import TideCore
import TideGit

/// `tide plan`: which servers change between two revisions of a config repo, in which waves, with diffs.
enum PlanCommand: TideCommand {
    static let name = "plan"
    static let summary = "show which servers change between two revisions, in which waves, with file diffs"
    static let help = """
        usage: tide plan --repo GITDIR [--from REV] --to REV [--json]
               tide plan [--from-dir DIR] --to-dir DIR [--json]

        Loads both revisions of the config repo, builds every server's bundle at each, and prints per
        service: the servers whose bundle changes cut into waves (canaries first, zones interleaved,
        as the service's rollout policy says) and a unified diff of each changed file. Servers whose
        bundle is byte-identical are not in the plan; a server that leaves a service's selector, or a
        deleted service, gets its files removed.

        flags:
          --repo GITDIR    a Git repository (bare or not); revisions are read through libgit2, no checkout
          --from REV       the revision deployed now (commit, branch, tag); omit for a first release
          --to REV         the revision to roll out (default HEAD)
          --from-dir DIR   the config repo as deployed now; omit for a first release (nothing deployed)
          --to-dir DIR     the config repo to roll out (required)
          --json           print the plan as JSON (services, waves, files with diffs) for machines
          --help, -h       this text

        Exit status: 0 with the plan; 1 when either revision is invalid (its errors are printed);
        2 on a usage error.
        """

    static func run(_ args: [String]) async throws -> Int32 {
        let parsed = try Arguments(args, valueFlags: ["from-dir", "to-dir", "repo", "from", "to"], booleanFlags: ["json"])
        guard parsed.positionals.isEmpty else {
            throw Arguments.UsageError(description: "unexpected argument '\(parsed.positionals[0])'")
        }
        if let repo = parsed.value("repo") {
            guard parsed.value("from-dir") == nil, parsed.value("to-dir") == nil else {
                throw Arguments.UsageError(description: "give either --repo with --from/--to, or --from-dir/--to-dir")
            }
            let to = try GitTree(repositoryPath: repo, revision: parsed.value("to") ?? "HEAD")
            let from = try parsed.value("from").map { try GitTree(repositoryPath: repo, revision: $0) }
            let result = plan(from: from, to: to, json: parsed.flag("json"))
            FileHandle.standardError.write(Data(result.errors.utf8))
            FileHandle.standardOutput.write(Data(result.output.utf8))
            return result.status
        }
        let to = try parsed.required("to-dir")
        let from = parsed.value("from-dir")
        let result = plan(from: from.map { DirectoryTree($0) }, to: DirectoryTree(to), json: parsed.flag("json"))
        FileHandle.standardError.write(Data(result.errors.utf8))
        FileHandle.standardOutput.write(Data(result.output.utf8))
        return result.status
    }

    /// Plans from `from` (nil: a first release) to `to`, any config trees (directories, Git commits).
    /// `output` is the plan (text or JSON); `errors` holds diagnostics, for stderr.
    static func plan(from: (any ConfigTree)?, to: any ConfigTree, json: Bool) -> (status: Int32, output: String, errors: String) {
        var errors = ""
        var fromConfig: FleetConfig?
        // Files unchanged between the two revisions are parsed once, bundles of unchanged services built once.
        let cache = ConfigLoadCache()
        if let from {
            let (config, diagnostics) = ConfigLoader.load(from, cache: cache)
            for d in diagnostics { errors += "\(from.displayName): \(d)\n" }
            guard let config else {
                errors += "cannot plan: the from revision \(from.displayName) is invalid\n"
                return (1, "", errors)
            }
            fromConfig = config
        }
        let (toLoaded, diagnostics) = ConfigLoader.load(to, cache: cache)
        for d in diagnostics { errors += "\(to.displayName): \(d)\n" }
        guard let toConfig = toLoaded else {
            errors += "cannot plan: the to revision \(to.displayName) is invalid\n"
            return (1, "", errors)
        }
        let fromBundles = fromConfig.map(FleetBundles.build)
        let toBundles = fromConfig.map { FleetBundles.build(toConfig, reusing: fromBundles!, of: $0) } ?? FleetBundles.build(toConfig)
        let plan = Plan.between(from: fromConfig, fromBundles: fromBundles, to: toConfig, toBundles: toBundles)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(plan)) ?? Data("{}".utf8)
            return (0, String(decoding: data, as: UTF8.self) + "\n", errors)
        }
        return (0, plan.text, errors)
    }
}
