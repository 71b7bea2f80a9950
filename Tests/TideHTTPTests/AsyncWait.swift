import Foundation

/// Polls `condition` until it holds or `timeout` passes, without blocking a thread: the server's
/// handlers run on the same cooperative pool as the test.
func eventually(
    timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(20),
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

/// Runs blocking work (a child process, blocking sockets) on a Dispatch thread, so the cooperative
/// pool stays free for the server under test.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}
