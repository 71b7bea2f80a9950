/// Exponential backoff with full jitter in its upper half, capped: 0.5s, 1s, 2s ... up to `cap`.
struct Backoff {
    let base: Duration
    let cap: Duration
    private(set) var attempt = 0

    init(base: Duration = .milliseconds(500), cap: Duration) {
        self.base = base
        self.cap = cap
    }

    /// The next delay; each one between half and all of min(cap, base * 2^attempt).
    mutating func next() -> Duration {
        let exponent = min(attempt, 20)
        attempt += 1
        let ceiling = min(cap.milliseconds, base.milliseconds * (Int64(1) << Int64(exponent)))
        let low = max(ceiling / 2, 1)
        return .milliseconds(Int64.random(in: low...max(low, ceiling)))
    }

    mutating func reset() { attempt = 0 }
}
