import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// The writer's own OS thread: SQLite calls block, so they stay off Swift's cooperative pool
/// and off the poller threads.
///
/// `@unchecked Sendable`: `handle` is written by `start` before the thread is shared and read
/// by `join`, which the owner calls once.
final class WriterThread: @unchecked Sendable {
    private var handle: pthread_t = 0
    private var started = false

    /// Starts `body` on a new thread. Returns the pthread_create error code, or 0.
    func start(_ body: @escaping () -> Void) -> Int32 {
        let rc = OSThread.spawn(handle: &handle, body)
        started = rc == 0
        return rc
    }

    func join() {
        guard started else { return }
        pthread_join(handle, nil)
        started = false
    }
}
