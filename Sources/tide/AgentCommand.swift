import Foundation
import TideAgent
import TideCore
import TideLog

/// `tide agent`: the per-server service that applies what the controller says this server should hold.
enum AgentCommand: TideCommand {
    static let name = "agent"
    static let summary = "run the agent on a server: apply its desired files, reload, check health, report"
    static let help = """
        usage: tide agent --controller URL --name NAME --state-dir DIR [flags]

        Long-polls the controller for this server's desired state, applies each service's files
        as one set (all or nothing), runs reload when a file changed, runs health checks and
        reports every phase. See docs/agent.md. For an https controller, its certificate must
        verify against the system CA store (add a private CA with update-ca-certificates).

          --controller URL      the controller's base URL (http:// or https://)
          --name NAME           this server's name in the inventory
          --state-dir DIR       manifest, blob cache, journal and history.jsonl
          --root DIR            prefixed to every target (default /); lets several agents share a machine
          --token-file F        file holding the agent bearer token
          --allowed-root DIR    targets must be inside DIR (repeatable; default: anywhere)
          --wait DUR            longest a long poll is held (default 60s)
          --check-interval DUR  how often managed files are checked for drift (default 30s)
          --heartbeat DUR       how often current phases are reported again (default 30s)
          --retry-max DUR       longest pause between retries while the controller is away (default 30s)
          --log-format F        logfmt (default) or json

        Test only: TIDE_AGENT_TEST_PAUSE_BEFORE_RENAME=PATH makes the agent create PATH.waiting and
        wait (at most 60s) for PATH to exist after writing a set's temporary files, before renaming.
        """

    static func run(_ args: [String]) async throws -> Int32 {
        // --allowed-root may repeat; Arguments keeps one value per flag, so take those out first.
        var rest: [String] = []
        var allowedRoots: [String] = []
        var i = 0
        while i < args.count {
            if args[i] == "--allowed-root", i + 1 < args.count {
                allowedRoots.append(args[i + 1])
                i += 2
                continue
            }
            if args[i].hasPrefix("--allowed-root=") {
                allowedRoots.append(String(args[i].dropFirst("--allowed-root=".count)))
            } else {
                rest.append(args[i])
            }
            i += 1
        }
        let a = try Arguments(
            rest,
            valueFlags: [
                "controller", "name", "state-dir", "root", "token-file", "wait", "check-interval", "heartbeat",
                "retry-max", "log-format",
            ])
        Log.configure(format: a.value("log-format") == "json" ? .json : .logfmt, component: "agent")
        var options = AgentOptions(
            controller: try a.required("controller"), name: try a.required("name"), stateDirectory: try a.required("state-dir"))
        options.root = a.value("root") ?? "/"
        guard options.root.hasPrefix("/") else { throw Arguments.UsageError(description: "--root must be an absolute path") }
        for root in allowedRoots where !root.hasPrefix("/") {
            throw Arguments.UsageError(description: "--allowed-root \(root) must be an absolute path")
        }
        if !allowedRoots.isEmpty { options.allowedRoots = allowedRoots }
        if let file = a.value("token-file") {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw Arguments.UsageError(description: "--token-file \(file) cannot be read")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw Arguments.UsageError(description: "--token-file \(file) is empty") }
            options.token = token
        }
        func duration(_ flag: String, _ fallback: Duration) throws -> Duration {
            guard let text = a.value(flag) else { return fallback }
            guard let d = DurationText.parse(text), d > .zero else {
                throw Arguments.UsageError(description: "--\(flag) \(text) is not a duration like 500ms, 30s or 5m")
            }
            return d
        }
        options.wait = try duration("wait", options.wait)
        options.checkInterval = try duration("check-interval", options.checkInterval)
        options.heartbeat = try duration("heartbeat", options.heartbeat)
        options.retryMax = try duration("retry-max", options.retryMax)
        let agent = try Agent(options: options)
        await agent.run()
        return 0
    }
}
