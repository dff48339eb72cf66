#if canImport(Glibc)
    import Glibc
#endif

/// A joinable OS thread of Kiln's own, outside Swift's cooperative pool, for work that blocks
/// (polling devices, SQLite): the poller threads and the historian writer start theirs here.
public enum OSThread {
    /// The closure the new thread runs, kept alive by the thread until it has run.
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread, with `stackSize` bytes of stack (the system's default when
    /// nil), and sets `handle` to it for `pthread_join`.
    ///
    /// - Returns: 0, or `pthread_create`'s error code (then `body` never runs).
    public static func spawn(stackSize: Int? = nil, handle: inout pthread_t, _ body: @escaping () -> Void) -> Int32 {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        if let stackSize { pthread_attr_setstacksize(&attr, stackSize) }
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let rc = pthread_create(
            &handle, &attr,
            { context in
                Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context)
        if rc != 0 { Unmanaged<Body>.fromOpaque(context).release() }
        return rc
    }
}
