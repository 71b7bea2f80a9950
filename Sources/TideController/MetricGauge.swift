import Synchronization

/// A Prometheus gauge family: values that go up and down, one series per label-value tuple.
public final class MetricGauge: MetricFamily {
    public let name: String
    public let help: String
    public let labelNames: [String]
    var typeName: String { "gauge" }
    private let series = Mutex<[[String]: Double]>([:])

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
    }

    private func check(_ labels: [String]) {
        precondition(labels.count == labelNames.count, "\(name): expected labels \(labelNames), got \(labels)")
    }

    /// Sets the series with these label values (in the order of `labelNames`).
    public func set(_ labels: [String] = [], _ value: Double) {
        check(labels)
        series.withLock { $0[labels] = value }
    }

    /// Adds `amount` (may be negative).
    public func add(_ labels: [String] = [], _ amount: Double) {
        check(labels)
        series.withLock { $0[labels, default: 0] += amount }
    }

    /// Removes one series, e.g. an info metric's old revision.
    public func remove(_ labels: [String]) { series.withLock { _ = $0.removeValue(forKey: labels) } }

    /// Removes every series whose label values start with `prefix` (all series for `[]`).
    public func removeAll(prefix: [String] = []) {
        series.withLock { dict in
            for key in dict.keys where key.starts(with: prefix) { dict.removeValue(forKey: key) }
        }
    }

    /// Replaces, in one step, every series whose label values start with `prefix` by `values`
    /// (keys are the remaining label values). Series computed from a snapshot use it so stale ones vanish.
    public func replace(prefix: [String], with values: [[String]: Double]) {
        for key in values.keys { check(prefix + key) }
        series.withLock { dict in
            for key in dict.keys where key.starts(with: prefix) { dict.removeValue(forKey: key) }
            for (key, v) in values { dict[prefix + key] = v }
        }
    }

    /// The current value of one series, or nil when absent.
    public func value(_ labels: [String] = []) -> Double? { series.withLock { $0[labels] } }

    func renderSamples(into out: inout String) {
        let snapshot = series.withLock { $0 }
        for key in MetricText.sortedKeys(snapshot) {
            out += name + MetricText.labelSet(labelNames, key) + " " + MetricText.number(snapshot[key]!) + "\n"
        }
    }
}
