import Foundation

/// Plain POSIX threads for the simulator: libmodbus blocks, so it never runs on Swift's
/// cooperative pool.
enum SimThread {
    /// Carries the body across `pthread_create`'s `void *` argument.
    private final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts `body` on a new thread.
    ///
    /// - Parameters:
    ///   - name: the thread's name, shown by `top -H` (at most 15 bytes are kept).
    ///   - stackSize: bytes of stack; connection threads keep this small so hundreds fit.
    ///   - detached: a detached thread cannot be joined and frees itself when it ends.
    /// - Returns: the thread, or the `pthread_create` error number.
    static func spawn(
        name: String, stackSize: Int = 256 * 1024, detached: Bool,
        _ body: @escaping @Sendable () -> Void
    ) -> Result<pthread_t, SimulatorError> {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, max(stackSize, Int(PTHREAD_STACK_MIN)))
        if detached { pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED)) }
        let box = Unmanaged.passRetained(
            Box {
                nameCurrentThread(name)
                body()
            }
        ).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, &attributes,
            { argument in
                let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
                box.body()
                return nil
            }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            return .failure(SimulatorError(.threadFailed, "cannot start thread \(name): \(errorText(rc))"))
        }
        return .success(thread)
    }

    /// Names the calling thread for `top -H` and `ps -L` (at most 15 bytes are kept).
    ///
    /// `pthread_setname_np` is a GNU extension Swift's Glibc module does not import; writing the
    /// thread's `comm` file does the same.
    private static func nameCurrentThread(_ name: String) {
        let file = open("/proc/thread-self/comm", O_WRONLY)
        guard file >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = write(file, bytes, bytes.count)
        close(file)
    }

    /// Raises the calling thread to SCHED_FIFO at `priority`; false when not permitted.
    static func makeRealtime(priority: Int) -> Bool {
        var parameters = sched_param()
        parameters.sched_priority = Int32(priority)
        return pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters) == 0
    }

    /// `CLOCK_MONOTONIC` in nanoseconds.
    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Sleeps until the monotonic clock reads `deadline` (absolute, so a late wake-up never drifts
    /// a schedule).
    static func sleep(untilNanoseconds deadline: Int64) {
        var target = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
    }

    /// The C library's message for an error number.
    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
