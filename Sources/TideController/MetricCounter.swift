import Synchronization

/// A Prometheus counter family: values that only go up, one series per label-value tuple.
public final class MetricCounter: MetricFamily {
    public let name: String
    public let help: String
    public let labelNames: [String]
    var typeName: String { "counter" }
    private let series = Mutex<[[String]: Double]>([:])

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        self.labelNames = labelNames
    }

    /// Adds `amount` (≥ 0) to the series with these label values, given in the order of `labelNames`.
    public func inc(_ labels: [String] = [], by amount: Double = 1) {
        precondition(labels.count == labelNames.count, "\(name): expected labels \(labelNames), got \(labels)")
        precondition(amount >= 0, "\(name): a counter cannot go down")
        series.withLock { $0[labels, default: 0] += amount }
    }

    /// Creates the series at 0 if absent, so that it is exported before its first increment.
    public func touch(_ labels: [String] = []) {
        precondition(labels.count == labelNames.count, "\(name): expected labels \(labelNames), got \(labels)")
        series.withLock { if $0[labels] == nil { $0[labels] = 0 } }
    }

    /// The current value of one series (0 when absent).
    public func value(_ labels: [String] = []) -> Double { series.withLock { $0[labels] ?? 0 } }

    func renderSamples(into out: inout String) {
        let snapshot = series.withLock { $0 }
        for key in MetricText.sortedKeys(snapshot) {
            out += name + MetricText.labelSet(labelNames, key) + " " + MetricText.number(snapshot[key]!) + "\n"
        }
    }
}
