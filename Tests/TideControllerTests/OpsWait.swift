
/// Polls `condition` until it holds or `timeout` passes, sleeping the task (not the thread) between
/// tries, so async tests never block the cooperative pool.
func pollUntil(
    timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(20), _ what: String,
    _ condition: () throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try condition() { return }
        try await Task.sleep(for: interval)
    }
    if try condition() { return }
    throw PollTimedOut(what: what, timeout: timeout)
}

struct PollTimedOut: Error, CustomStringConvertible {
    var what: String
    var timeout: Duration
    var description: String { "timed out after \(timeout) waiting for \(what)" }
}
