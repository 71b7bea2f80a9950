/// A min-heap of timers by deadline (monotonic nanoseconds). No cancel: a timer whose reason
/// passed checks a generation number when it fires and does nothing.
struct TimerHeap {
    /// Identifies a scheduled timer, to cancel it.
    struct Token: Hashable { let id: UInt64 }

    private struct Entry {
        var deadline: UInt64
        var id: UInt64
        var action: () -> Void
    }

    private var heap: [Entry] = []
    private var nextID: UInt64 = 1

    var nextDeadline: UInt64? { heap.first?.deadline }
    var count: Int { heap.count }

    mutating func push(deadline: UInt64, _ action: @escaping () -> Void) -> Token {
        let id = nextID
        nextID += 1
        heap.append(Entry(deadline: deadline, id: id, action: action))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if less(i, parent) {
                heap.swapAt(i, parent)
                i = parent
            } else { break }
        }
        return Token(id: id)
    }

    /// The action of the earliest timer due at `now`, removed; nil when none is due.
    mutating func popExpired(now: UInt64) -> (() -> Void)? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        return removeFirst().action
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].deadline < heap[b].deadline || (heap[a].deadline == heap[b].deadline && heap[a].id < heap[b].id)
    }

    private mutating func removeFirst() -> Entry {
        let first = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < heap.count, less(l, m) { m = l }
                if r < heap.count, less(r, m) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return first
    }
}
