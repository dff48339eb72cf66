/// The scan deadlines of one poller thread: a binary min-heap on the next deadline, so a wake-up
/// finds what is due in O(log n) however many devices the thread polls.
struct PollSchedule {
    /// One scan class of one session, and its next deadline.
    struct Deadline {
        var session: Int
        var scan: Int
        var period: Int64
        var next: Int64
    }

    private(set) var heap: [Deadline] = []

    var isEmpty: Bool { heap.isEmpty }

    /// The earliest deadline, or `Int64.max` when there is none.
    var earliest: Int64 { heap.first?.next ?? .max }

    /// The earliest entry.
    var first: Deadline? { heap.first }

    mutating func insert(_ deadline: Deadline) {
        heap.append(deadline)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].next < heap[parent].next else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Moves the earliest entry to `next` (later than now) and restores the order.
    mutating func rescheduleFirst(to next: Int64) {
        heap[0].next = next
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            let child = right < heap.count && heap[right].next < heap[left].next ? right : left
            guard heap[child].next < heap[parent].next else { return }
            heap.swapAt(child, parent)
            parent = child
        }
    }
}
