import Foundation
import TideHTTP
import Testing

@Suite struct IndexWatchTests {
    @Test func answersAtOnceWhenPastAndWakesWaitersOnAdvance() async throws {
        let watch = IndexWatch(index: 5)
        #expect(await watch.wait(after: 3, timeout: .seconds(30)) == 5)
        let results = Task {
            await withTaskGroup(of: UInt64.self) { group in
                for _ in 0..<1000 { group.addTask { await watch.wait(after: 5, timeout: .seconds(30)) } }
                return await group.reduce(into: [UInt64]()) { $0.append($1) }
            }
        }
        try await eventually(timeout: .seconds(10), "1000 waiters") { watch.waiting == 1000 }
        watch.advance(to: 6)
        let values = await results.value
        #expect(values.count == 1000 && values.allSatisfy { $0 == 6 })
        #expect(watch.waiting == 0)
    }

    @Test func timesOutAndCancels() async throws {
        let watch = IndexWatch(index: 1)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await watch.wait(after: 1, timeout: .milliseconds(200)) == 1)
        #expect(clock.now - start >= .milliseconds(200))
        let held = Task { await watch.wait(after: 1, timeout: .seconds(60)) }
        try await eventually(timeout: .seconds(10), "held") { watch.waiting == 1 }
        held.cancel()
        #expect(await held.value == 1)
        #expect(watch.waiting == 0)
        watch.advance(to: 0)
        #expect(watch.index == 1)
    }
}
