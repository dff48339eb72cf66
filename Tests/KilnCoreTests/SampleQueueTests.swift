import Foundation
import KilnCore
import Testing

/// The hand-off between Kiln's threads: bounded, never blocking the producer, counting what it
/// refuses, and waiting on the consumer's side only until its deadline.
struct SampleQueueTests {
    func batch(_ count: Int) -> [Sample] {
        (0..<count).map { Sample(device: 0, tag: $0, value: .double(1), raw: .double(1), status: .good, timestamp: 0) }
    }

    func monotonicNow() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    @Test func aFullQueueRefusesAndCountsWhatItRefuses() {
        let queue = SampleQueue(capacity: 10)
        #expect(queue.push(batch(6)))
        #expect(!queue.push(batch(5)))
        #expect(queue.push(batch(4)))
        #expect(queue.count == 10)
        #expect(queue.dropped == 5)
        let taken = queue.drain()
        #expect(taken.map(\.count) == [6, 4])
        #expect(queue.count == 0)
        // Emptied, it takes a batch again; one larger than the capacity only when empty.
        #expect(queue.push(batch(12)))
        #expect(!queue.push(batch(1)))
        #expect(queue.dropped == 6)
    }

    @Test func aClosedQueueRefusesAndSaysSoOnceDrained() {
        let queue = SampleQueue(capacity: 10)
        #expect(queue.push(batch(3)))
        queue.close()
        #expect(!queue.push(batch(1)))
        var taken: [[Sample]] = []
        #expect(!queue.take(until: monotonicNow(), into: &taken), "batches were left: not done yet")
        #expect(taken.map(\.count) == [3])
        taken.removeAll()
        #expect(queue.take(until: monotonicNow() + 10_000_000_000, into: &taken), "closed and empty: done at once")
        #expect(taken.isEmpty)
    }

    @Test func takeWaitsForABatchFromAnotherThreadAndGivesUpAtItsDeadline() {
        let queue = SampleQueue(capacity: 10)
        var taken: [[Sample]] = []
        // Nothing comes: back at the deadline, empty-handed.
        let start = monotonicNow()
        #expect(!queue.take(until: start + 50_000_000, into: &taken))
        #expect(taken.isEmpty)
        #expect(monotonicNow() - start >= 50_000_000)
        // A batch pushed from another thread wakes the waiting consumer.
        let producer = Thread { _ = queue.push(self.batch(2)) }
        producer.start()
        #expect(!queue.take(until: monotonicNow() + 30_000_000_000, into: &taken))
        #expect(taken.map(\.count) == [2])
    }
}
