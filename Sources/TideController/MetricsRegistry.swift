import Synchronization

/// A set of Prometheus metric families, rendered together for `GET /metrics` (text format 0.0.4).
/// Thread-safe: families may be updated from any thread or task.
public final class MetricsRegistry: Sendable {
    /// The `Content-Type` of `render()`'s output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let families = Mutex<[any MetricFamily]>([])

    public init() {}

    /// Registers (or returns the already registered) counter `name`.
    public func counter(_ name: String, help: String, labels: [String] = []) -> MetricCounter {
        register(name, labels) { MetricCounter(name: name, help: help, labelNames: labels) }
    }

    /// Registers (or returns the already registered) gauge `name`.
    public func gauge(_ name: String, help: String, labels: [String] = []) -> MetricGauge {
        register(name, labels) { MetricGauge(name: name, help: help, labelNames: labels) }
    }

    /// Registers (or returns the already registered) histogram `name` with upper bounds `buckets`.
    public func histogram(
        _ name: String, help: String, labels: [String] = [], buckets: [Double] = MetricHistogram.defaultBuckets
    ) -> MetricHistogram {
        register(name, labels) { MetricHistogram(name: name, help: help, labelNames: labels, buckets: buckets) }
    }

    private func register<F: MetricFamily>(_ name: String, _ labels: [String], _ make: () -> F) -> F {
        precondition(MetricText.isValidMetricName(name), "invalid metric name '\(name)'")
        for label in labels { precondition(MetricText.isValidLabelName(label), "\(name): invalid label name '\(label)'") }
        precondition(Set(labels).count == labels.count, "\(name): duplicate label names \(labels)")
        return families.withLock { list in
            if let existing = list.first(where: { $0.name == name }) {
                guard let same = existing as? F, same.labelNames == labels else {
                    preconditionFailure("metric '\(name)' registered twice with a different type or labels")
                }
                return same
            }
            let family = make()
            list.append(family)
            return family
        }
    }

    /// Every family in registration order: `# HELP`, `# TYPE`, then its samples.
    public func render() -> String {
        let list = families.withLock { $0 }
        var out = ""
        for family in list {
            out += "# HELP \(family.name) \(MetricText.escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.typeName)\n"
            family.renderSamples(into: &out)
        }
        return out
    }
}
