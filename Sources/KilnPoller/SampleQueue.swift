import KilnCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The bounded hand-off between poller threads and everything downstream.
///
/// Pollers never block on it: when downstream falls behind and the queue holds `capacity`
/// samples, a new batch is dropped and counted, so a slow consumer can never stall the poll
/// schedule.
public final class SampleQueue: @unchecked Sendable {
    // @unchecked: every stored property is guarded by `mutex` (a pthread mutex, which the
    // condition variable needs) or is itself thread-safe (Atomic).
    public let capacity: Int
    private var batches: [[Sample]] = []
    private var queued = 0
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private let droppedSamples = Atomic<Int>(0)
    private let droppedBatches = Atomic<Int>(0)

    /// - Parameter capacity: the most samples held before new batches are dropped.
    public init(capacity: Int = 100_000) {
        self.capacity = capacity
        pthread_mutex_init(&mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(&condition, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// Samples dropped because the queue was full.
    public var dropped: Int { droppedSamples.load(ordering: .relaxed) }

    /// Enqueues a batch without blocking. Returns false (and counts it) when the queue is full.
    @discardableResult
    public func push(_ batch: [Sample]) -> Bool {
        guard !batch.isEmpty else { return true }
        pthread_mutex_lock(&mutex)
        guard queued + batch.count <= capacity else {
            pthread_mutex_unlock(&mutex)
            droppedSamples.add(batch.count, ordering: .relaxed)
            droppedBatches.add(1, ordering: .relaxed)
            return false
        }
        batches.append(batch)
        queued += batch.count
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
        return true
    }

    /// Takes every queued batch, waiting up to `timeout` for the first one.
    public func drain(waitingUpTo timeout: Duration = .zero) -> [[Sample]] {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        if batches.isEmpty, timeout > .zero {
            let deadline = Clocks.monotonicNanoseconds() + timeout.nanoseconds
            var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
            while batches.isEmpty {
                if pthread_cond_timedwait(&condition, &mutex, &ts) == ETIMEDOUT { break }
            }
        }
        let taken = batches
        batches.removeAll(keepingCapacity: true)
        queued = 0
        return taken
    }
}
