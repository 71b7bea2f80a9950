import Synchronization

/// A Prometheus histogram family: cumulative `_bucket{le=...}` counts, `_sum` and `_count` per label-value tuple.
public final class MetricHistogram: MetricFamily {
    public let name: String
    public let help: String
    public let labelNames: [String]
    /// Upper bounds, ascending, without `+Inf` (always added).
    public let buckets: [Double]
    var typeName: String { "histogram" }

    struct Series {
        var counts: [UInt64]  // per bucket, not cumulative; last = +Inf
        var sum: Double = 0
        var count: UInt64 = 0
    }
    private let series = Mutex<[[String]: Series]>([:])

    /// Prometheus' default buckets, in seconds: 5ms to 10s.
    public static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    init(name: String, help: String, labelNames: [String], buckets: [Double]) {
        precondition(!labelNames.contains("le"), "\(name): `le` is reserved in histograms")
        let bounds = buckets.filter { $0 != .infinity }
        precondition(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "\(name): buckets must ascend")
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.buckets = bounds
    }

    /// Records one observation (e.g. a duration in seconds).
    public func observe(_ value: Double, _ labels: [String] = []) {
        precondition(labels.count == labelNames.count, "\(name): expected labels \(labelNames), got \(labels)")
        let index = buckets.firstIndex(where: { value <= $0 }) ?? buckets.count
        series.withLock { dict in
            var s = dict[labels] ?? Series(counts: Array(repeating: 0, count: buckets.count + 1))
            s.counts[index] += 1
            s.sum += value
            s.count += 1
            dict[labels] = s
        }
    }

    /// Records a duration in seconds.
    public func observe(_ duration: Duration, _ labels: [String] = []) {
        let c = duration.components
        observe(Double(c.seconds) + Double(c.attoseconds) / 1e18, labels)
    }

    /// Runs `body` and records how long it took.
    public func time<T>(_ labels: [String] = [], _ body: () async throws -> T) async rethrows -> T {
        let clock = ContinuousClock()
        let start = clock.now
        defer { observe(clock.now - start, labels) }
        return try await body()
    }

    /// Observations so far in one series.
    public func count(_ labels: [String] = []) -> UInt64 { series.withLock { $0[labels]?.count ?? 0 } }

    func renderSamples(into out: inout String) {
        let snapshot = series.withLock { $0 }
        for key in MetricText.sortedKeys(snapshot) {
            let s = snapshot[key]!
            var cumulative: UInt64 = 0
            for (i, bound) in (buckets + [.infinity]).enumerated() {
                cumulative += s.counts[i]
                out += name + "_bucket" + MetricText.labelSet(labelNames, key, extra: ("le", MetricText.number(bound)))
                out += " \(cumulative)\n"
            }
            out += name + "_sum" + MetricText.labelSet(labelNames, key) + " " + MetricText.number(s.sum) + "\n"
            out += name + "_count" + MetricText.labelSet(labelNames, key) + " \(s.count)\n"
        }
    }
}
