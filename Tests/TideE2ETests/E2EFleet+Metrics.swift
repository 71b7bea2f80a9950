import Foundation
import TideTestSupport

/// One scrape of the controller's `GET /metrics`, parsed into samples.
struct MetricsScrape {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let text: String
    let samples: [Sample]

    init(_ text: String) throws {
        self.text = text
        var samples: [Sample] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                throw E2EError("/metrics line \(number + 1) has no value: \(line)")
            }
            let series = line[..<space]
            var labels: [String: String] = [:]
            let name: String
            if let brace = series.firstIndex(of: "{") {
                name = String(series[..<brace])
                var rest = series[series.index(after: brace)...].dropLast()  // the closing brace
                while !rest.isEmpty {
                    guard let eq = rest.firstIndex(of: "=") else { throw E2EError("/metrics line \(number + 1): \(line)") }
                    let key = rest[..<eq].trimmingCharacters(in: CharacterSet(charactersIn: ", "))
                    rest = rest[rest.index(eq, offsetBy: 2)...]  // past `="`
                    var v = ""
                    var escaped = false
                    while let c = rest.first {
                        rest = rest.dropFirst()
                        if escaped {
                            v.append(c == "n" ? "\n" : c)
                            escaped = false
                        } else if c == "\\" {
                            escaped = true
                        } else if c == "\"" {
                            break
                        } else {
                            v.append(c)
                        }
                    }
                    labels[key] = v
                    rest = rest.drop { $0 == "," || $0 == " " }
                }
            } else {
                name = String(series)
            }
            samples.append(Sample(name: name, labels: labels, value: value))
        }
        self.samples = samples
    }

    /// The value of the series with exactly these labels, or nil when absent.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// Every series of `name` whose labels include `labels`.
    func series(_ name: String, where labels: [String: String] = [:]) -> [Sample] {
        samples.filter { s in s.name == name && labels.allSatisfy { s.labels[$0.key] == $0.value } }
    }

    /// The sum of every series of `name` whose labels include `labels`.
    func sum(_ name: String, where labels: [String: String] = [:]) -> Double {
        series(name, where: labels).reduce(0) { $0 + $1.value }
    }

    /// `promtool check metrics` on this text; throws with promtool's complaints when it finds any.
    func checkWithPromtool(in dir: TempDirectory) throws {
        let file = dir("scrape-\(UUID().uuidString.prefix(8)).prom")
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        let result = try Shell.run("promtool check metrics < \(Shell.quote(file))")
        guard result.status == 0 else {
            throw E2EError("promtool check metrics exited \(result.status): \(result.stdout)\(result.stderr)")
        }
    }
}

extension E2EFleet {
    /// `GET /metrics` of the controller (no token: Prometheus scrapes it as is).
    func scrape() async throws -> MetricsScrape {
        let response = try await client.send("GET", url + "/metrics", timeout: .seconds(10))
        guard response.status == 200 else { throw E2EError("GET /metrics: \(response.status)") }
        return try MetricsScrape(String(decoding: response.body, as: UTF8.self))
    }
}
