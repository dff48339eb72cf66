import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The signal (SIGINT or SIGTERM) that asked Kiln to stop, or 0. A lock-free atomic store is
/// async-signal-safe, so the handler may set it directly.
private let raisedSignal = Atomic<Int32>(0)

/// Turns SIGINT and SIGTERM into a flag that long-running subcommands poll, so they stop
/// cleanly (closing connections, flushing) instead of dying mid-cycle.
public enum ShutdownSignal {
    /// Starts catching SIGINT and SIGTERM.
    public static func install() {
        for signo in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signo in raisedSignal.store(signo, ordering: .relaxed) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(signo, &action, nil)
        }
    }

    /// Suspends until SIGINT or SIGTERM arrives, and returns which.
    public static func wait() async -> Int32 {
        while true {
            if let signo = received { return signo }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The signal that asked to stop, or nil.
    public static var received: Int32? {
        let s = raisedSignal.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }
}
