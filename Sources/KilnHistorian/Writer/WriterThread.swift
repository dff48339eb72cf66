#if canImport(Glibc)
    import Glibc
#endif

/// The writer's own OS thread: SQLite calls block, so they stay off Swift's cooperative pool
/// and off the poller threads.
///
/// `@unchecked Sendable`: `handle` is written by `start` before the thread is shared and read
/// by `join`, which the owner calls once.
final class WriterThread: @unchecked Sendable {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    private var handle: pthread_t = 0
    private var started = false

    /// Starts `body` on a new thread. Returns the pthread_create error code, or 0.
    func start(_ body: @escaping () -> Void) -> Int32 {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let rc = pthread_create(
            &handle, nil,
            { context in
                let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
                body.run()
                return nil
            }, context)
        if rc != 0 {
            Unmanaged<Body>.fromOpaque(context).release()
        } else {
            started = true
        }
        return rc
    }

    func join() {
        guard started else { return }
        pthread_join(handle, nil)
        started = false
    }
}
