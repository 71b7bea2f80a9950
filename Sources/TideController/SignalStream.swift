import Dispatch
import Foundation

/// SIGTERM and SIGINT as an async value: the first one to arrive ends the wait.
public struct SignalStream: Sendable {
    let stream: AsyncStream<String>
    // Keeps the dispatch sources alive for as long as the stream is.
    final class Sources: @unchecked Sendable {
        // Safe: set once in `termination()`, never mutated after.
        var sources: [DispatchSourceSignal] = []
    }
    let holder: Sources

    /// Starts listening for SIGTERM and SIGINT (their default action is turned off).
    public static func termination() -> SignalStream {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        let holder = Sources()
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            holder.sources.append(source)
        }
        return SignalStream(stream: stream, holder: holder)
    }

    /// Waits for the first signal and returns its name.
    public func first() async -> String {
        for await name in stream { return name }
        return "end"
    }
}
