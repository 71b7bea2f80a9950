import Foundation
import TideCore
import TideHTTP

/// Runs one health check once: a command (exit 0 is healthy) or an HTTP GET (a 2xx is healthy).
struct HealthProbe {
    let check: HealthCheck
    let environment: [String: String]
    let outputPath: String
    let client: HTTPClient

    /// nil when healthy, else what was wrong.
    func run() async -> String? {
        switch check.probe {
        case .command(let command):
            let outcome = await ShellCommand(
                command: command, environment: environment, timeout: check.timeout, outputPath: outputPath
            ).run()
            if outcome.succeeded { return nil }
            if outcome.timedOut { return "health command timed out after \(DurationText.format(check.timeout))" }
            return "health command exited \(outcome.status)" + (outcome.output.isEmpty ? "" : ": \(outcome.output)")
        case .http(let url):
            do {
                let answer = try await client.send("GET", url, timeout: check.timeout)
                if (200..<300).contains(answer.status) { return nil }
                return "health GET \(url) answered \(answer.status)"
            } catch {
                return "health GET failed: \(error)"
            }
        }
    }
}
