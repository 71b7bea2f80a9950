import Foundation

/// Polls `condition` until it holds or `timeout` passes; never a bare sleep-and-hope.
public func waitUntil(
    timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(50),
    _ what: @autoclosure () -> String = "condition", _ condition: () throws -> Bool
) throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
    }
    if try condition() { return }
    throw TimedOut(what: what(), timeout: timeout)
}

public struct TimedOut: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public var description: String { "timed out after \(timeout) waiting for \(what)" }
}
