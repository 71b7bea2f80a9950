import Foundation
import TideConfig
import TideCore
import TideGit

/// `tide validate [DIR]`: checks a config repo and prints every problem with its file, line and column.
enum ValidateCommand: TideCommand {
    static let name = "validate"
    static let summary = "check a config repo: every error with file:line:column, exit 1 if any"
    static let help = """
        usage: tide validate [DIR]
               tide validate --repo GITDIR --rev REV

        Reads the config repo in DIR (default: the current directory): tide.yaml, inventory/*.yaml,
        services/<name>/service.yaml and the files they place. Prints every error and warning as
        path:line:column: severity: message, all of them in one run.

        Exit status: 0 and a one-line summary (ok: N services, M servers, K warnings) when the repo
        is valid (warnings allowed); 1 with the diagnostics when it has errors; 2 on a usage error.

        arguments:
          DIR          the config repo's root directory (default: .)
          --repo GITDIR  a Git repository (bare or not); with --rev, validate that commit
                         through libgit2, without a checkout
          --rev REV      a commit, branch or tag of --repo (default HEAD)
          --help, -h   this text
        """

    static func run(_ args: [String]) async throws -> Int32 {
        let parsed = try Arguments(args, valueFlags: ["repo", "rev"])
        if let repo = parsed.value("repo") {
            guard parsed.positionals.isEmpty else {
                throw Arguments.UsageError(description: "give either DIR or --repo, not both")
            }
            let tree = try GitTree(repositoryPath: repo, revision: parsed.value("rev") ?? "HEAD")
            let result = validate(tree)
            FileHandle.standardOutput.write(Data(result.output.utf8))
            return result.status
        }
        guard parsed.value("rev") == nil else { throw Arguments.UsageError(description: "--rev needs --repo") }
        guard parsed.positionals.count <= 1 else {
            throw Arguments.UsageError(description: "expected at most one directory, got \(parsed.positionals.count)")
        }
        let dir = parsed.positionals.first ?? "."
        let result = validate(DirectoryTree(dir), pathPrefix: dir == "." ? "" : dir)
        FileHandle.standardOutput.write(Data(result.output.utf8))
        return result.status
    }

    /// Validates any config tree (a directory, a Git commit); `pathPrefix` is put before each file name so
    /// that the printed paths open from the caller's directory.
    static func validate(_ tree: any ConfigTree, pathPrefix: String = "") -> (status: Int32, output: String) {
        let (config, diagnostics) = ConfigLoader.load(tree)
        var out = ""
        for d in diagnostics { out += render(d, prefix: pathPrefix) + "\n" }
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        if let config {
            let services = config.services.count
            let servers = config.servers.count
            out += "ok: \(services) service\(services == 1 ? "" : "s"), \(servers) server\(servers == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")\n"
            return (0, out)
        }
        out += "invalid: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s") in \(tree.displayName)\n"
        return (1, out)
    }

    /// `path:line:column: severity: message`, the path prefixed when given.
    static func render(_ d: Diagnostic, prefix: String) -> String {
        guard !prefix.isEmpty else { return d.description }
        var shown = d
        shown.position.file = (prefix.hasSuffix("/") ? prefix : prefix + "/") + d.position.file
        return shown.description
    }
}
