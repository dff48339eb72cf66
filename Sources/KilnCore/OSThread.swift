#if canImport(Glibc)
    import Glibc
#endif

/// Kiln's one way to start an OS thread of its own, outside Swift's cooperative pool, for work
/// that blocks (polling devices, SQLite, the simulator's sockets): the poller threads, the
/// historian writer and checkpointer, and the simulator's threads all start theirs here.
public enum OSThread {
    /// The closure the new thread runs, kept alive by the thread until it has run.
    private final class Body {
        let name: String?
        let run: () -> Void
        init(_ name: String?, _ run: @escaping () -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// The nice value that keeps the gateway's storage ahead of the HTTP server and other
    /// ordinary threads when the CPUs are busy (the scheduler gives a thread at -10 about ten
    /// times the share of one at 0), while the real-time poll threads stay above it.
    public static let storageNice: Int32 = -10

    /// The nice value of the HTTP server's event loops: behind storage, ahead of the machine's
    /// ordinary threads (a client load generator, a backup job), so an operator's request is not
    /// held up behind them. At 10,000 tags under `wrk`, in rounds alternated with nice 0 on one
    /// gateway, it took `/api/v1/tags`' p99 from 11-29 ms to 5-12 ms, with no sample dropped
    /// (tools/bench/README-http.md).
    public static let serviceNice: Int32 = -5

    /// Sets the calling thread's nice value (Linux keeps one per thread). Lowering it needs
    /// CAP_SYS_NICE (root, or the service unit's `AmbientCapabilities`); returns false when not
    /// allowed, and the thread goes on at its current value.
    @discardableResult
    public static func setCurrentNice(_ value: Int32) -> Bool {
        // `who` 0 is the calling thread on Linux (see setpriority(2), NOTES).
        setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, value) == 0
    }

    /// Starts `body` on a new thread.
    ///
    /// - Parameters:
    ///   - name: the thread's name, shown by `top -H` and `ps -L` (at most 15 bytes are kept).
    ///   - stackSize: bytes of stack (at least `PTHREAD_STACK_MIN`); the system's default when nil.
    ///   - detached: a detached thread cannot be joined and frees itself when it ends.
    ///   - handle: set to the new thread, for `pthread_join` unless detached.
    /// - Returns: 0, or `pthread_create`'s error code (then `body` never runs).
    public static func spawn(
        name: String? = nil, stackSize: Int? = nil, detached: Bool = false, handle: inout pthread_t,
        _ body: @escaping () -> Void
    ) -> Int32 {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        if let stackSize { pthread_attr_setstacksize(&attr, max(stackSize, Int(PTHREAD_STACK_MIN))) }
        if detached { pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED)) }
        let context = Unmanaged.passRetained(Body(name, body)).toOpaque()
        let rc = pthread_create(
            &handle, &attr,
            { context in
                let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
                if let name = body.name { OSThread.nameCurrent(name) }
                body.run()
                return nil
            }, context)
        if rc != 0 { Unmanaged<Body>.fromOpaque(context).release() }
        return rc
    }

    /// Names the calling thread for `top -H` and `ps -L` (at most 15 bytes are kept).
    ///
    /// `pthread_setname_np` is a GNU extension Swift's Glibc module does not import; writing the
    /// thread's `comm` file does the same.
    public static func nameCurrent(_ name: String) {
        let file = open("/proc/thread-self/comm", O_WRONLY)
        guard file >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = write(file, bytes, bytes.count)
        close(file)
    }
}

/// A joinable thread with one owner, who starts it once and joins it once.
///
/// `@unchecked Sendable`: `handle` and `started` are written by `start` before the object is
/// shared, and afterwards only by `join`, which the owner calls once.
public final class JoinableThread: @unchecked Sendable {
    private var handle: pthread_t = 0
    private var started = false

    public init() {}

    /// Starts `body` on a new thread (see ``OSThread/spawn(name:stackSize:detached:handle:_:)``).
    ///
    /// - Returns: 0, or `pthread_create`'s error code.
    public func start(name: String? = nil, stackSize: Int? = nil, _ body: @escaping () -> Void) -> Int32 {
        let rc = OSThread.spawn(name: name, stackSize: stackSize, handle: &handle, body)
        started = rc == 0
        return rc
    }

    /// Waits for the thread to end; does nothing when it never started or was joined already.
    public func join() {
        guard started else { return }
        pthread_join(handle, nil)
        started = false
    }
}
