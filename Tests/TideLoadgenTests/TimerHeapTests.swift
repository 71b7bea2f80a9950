import Testing

@testable import TideLoadgen

@Suite struct TimerHeapTests {
    /// The loop's timers fire in deadline order, whatever order they were scheduled in.
    @Test func timersFireInDeadlineOrder() {
        var heap = TimerHeap()
        var fired: [Int] = []
        let deadlines: [UInt64] = [50, 10, 40, 10, 30, 20, 60, 0]
        for (i, d) in deadlines.enumerated() { _ = heap.push(deadline: d) { fired.append(i) } }
        while let action = heap.popExpired(now: 45) { action() }
        #expect(fired == [7, 1, 3, 5, 4, 2], "deadline order, ties in scheduling order, nothing after 45")
        #expect(heap.count == 2)
        #expect(heap.nextDeadline == 50)
    }
}
