import KilnCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The bounded hand-off from `kiln run` to the writer thread.
///
/// `push` never blocks: when the writer falls behind and the queue holds `capacity` samples, the
/// batch is refused (and counted by the caller), so a slow disk can never stall polling.
final class BatchQueue: @unchecked Sendable {
    // @unchecked: every stored property is guarded by `mutex` (a pthread mutex, which the
    // condition variable needs).
    let capacity: Int
    private var batches: [[Sample]] = []
    private var queued = 0
    private var closed = false
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()

    init(capacity: Int) {
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

    /// Enqueues without blocking; false when full or closed.
    func push(_ batch: [Sample]) -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        guard !closed, queued + batch.count <= capacity || queued == 0 else { return false }
        batches.append(batch)
        queued += batch.count
        pthread_cond_signal(&condition)
        return true
    }

    /// Samples waiting.
    var count: Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return queued
    }

    /// No more pushes; the writer drains what is left and stops.
    func close() {
        pthread_mutex_lock(&mutex)
        closed = true
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    /// Takes every queued batch, waiting until the monotonic `deadline` (ns) for the first one.
    /// Returns true once `close` was called and nothing was left to take.
    func take(until deadline: Int64, into taken: inout [[Sample]]) -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        if batches.isEmpty, !closed {
            var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
            while batches.isEmpty, !closed {
                if pthread_cond_timedwait(&condition, &mutex, &ts) == ETIMEDOUT { break }
            }
        }
        swap(&taken, &batches)
        queued = 0
        return closed && taken.isEmpty
    }
}
