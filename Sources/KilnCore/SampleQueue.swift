import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The bounded hand-off of sample batches between Kiln's threads: poller threads to the
/// conditioning loop, and `kiln run` to the historian's writer thread.
///
/// `push` never blocks: when the consumer falls behind and the queue holds `capacity` samples, a
/// new batch is refused and counted, so a slow consumer (a slow disk) can never stall the poll
/// schedule. A batch larger than `capacity` still goes through when the queue is empty.
public final class SampleQueue: @unchecked Sendable {
    // @unchecked: every stored property is guarded by `mutex` (a pthread mutex, which the
    // condition variable needs; both allocated, so their addresses never move) or is itself
    // thread-safe (Atomic).
    public let capacity: Int
    private var batches: [[Sample]] = []
    private var queued = 0
    private var closed = false
    private var woken = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let droppedSamples = Atomic<Int>(0)

    /// - Parameter capacity: the most samples held before new batches are refused.
    public init(capacity: Int = 100_000) {
        self.capacity = capacity
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Samples refused because the queue was full or closed.
    public var dropped: Int { droppedSamples.load(ordering: .relaxed) }

    /// Samples waiting.
    public var count: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return queued
    }

    /// Enqueues a batch without blocking. Returns false (and counts it) when the queue is full
    /// or closed.
    @discardableResult
    public func push(_ batch: [Sample]) -> Bool {
        guard !batch.isEmpty else { return true }
        pthread_mutex_lock(mutex)
        guard !closed, queued + batch.count <= capacity || queued == 0 else {
            pthread_mutex_unlock(mutex)
            droppedSamples.add(batch.count, ordering: .relaxed)
            return false
        }
        batches.append(batch)
        queued += batch.count
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
        return true
    }

    /// No more pushes; the consumer takes what is left (``take(until:into:)`` then says so).
    public func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Wakes the consumer waiting in ``take(until:into:)`` even though no batch came (a timer
    /// fired: the consumer has work of its own to do).
    public func wake() {
        pthread_mutex_lock(mutex)
        woken = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Takes every queued batch into `taken` (which should come empty: the two arrays trade
    /// storage), waiting until the monotonic `deadline` (ns) for the first one, or for ``wake()``
    /// (then `taken` may be empty). `Int64.max` waits for data, a wake-up or the close. Returns true
    /// once ``close()`` was called and nothing was left to take.
    public func take(until deadline: Int64, into taken: inout [[Sample]]) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if batches.isEmpty, !closed, !woken {
            var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
            while batches.isEmpty, !closed, !woken {
                if deadline == .max {
                    pthread_cond_wait(condition, mutex)
                } else if pthread_cond_timedwait(condition, mutex, &ts) == ETIMEDOUT {
                    break
                }
            }
        }
        woken = false
        swap(&taken, &batches)
        batches.removeAll(keepingCapacity: true)
        queued = 0
        return closed && taken.isEmpty
    }

    /// ``take(until:into:)`` with a deadline `timeout` from now.
    public func take(waitingAtMost timeout: Duration, into taken: inout [[Sample]]) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let start = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        let (seconds, attoseconds) = max(timeout, .zero).components
        return take(until: start + seconds * 1_000_000_000 + attoseconds / 1_000_000_000, into: &taken)
    }

    /// Takes every queued batch, waiting up to `timeout` for the first one.
    public func drain(waitingUpTo timeout: Duration = .zero) -> [[Sample]] {
        var taken: [[Sample]] = []
        _ = take(waitingAtMost: timeout, into: &taken)
        return taken
    }
}
