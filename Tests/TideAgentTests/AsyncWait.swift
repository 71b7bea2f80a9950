
/// Polls `condition` until it holds or `timeout` passes, sleeping without blocking a thread
/// (the controller stand-in's handlers run on the same cooperative pool as the test).
func eventually(
    timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(50),
    _ what: @autoclosure () -> String = "condition", _ condition: () throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try condition() { return }
        try await Task.sleep(for: interval)
    }
    if try condition() { return }
    throw WaitTimedOut(description: "timed out after \(timeout) waiting for \(what())")
}

struct WaitTimedOut: Error, CustomStringConvertible {
    var description: String
}
