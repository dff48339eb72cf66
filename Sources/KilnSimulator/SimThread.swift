import Foundation
import KilnCore

/// The simulator's threads (started through KilnCore's ``OSThread``: libmodbus blocks, so it
/// never runs on Swift's cooperative pool), with their real-time priority and monotonic sleeps.
enum SimThread {
    /// Starts `body` on a new thread through KilnCore's ``OSThread``.
    ///
    /// - Parameters:
    ///   - name: the thread's name, shown by `top -H` (at most 15 bytes are kept).
    ///   - stackSize: bytes of stack; connection threads keep this small so hundreds fit.
    ///   - detached: a detached thread cannot be joined and frees itself when it ends.
    /// - Returns: the thread, or the `pthread_create` error as a `SimulatorError`.
    static func spawn(
        name: String, stackSize: Int = 256 * 1024, detached: Bool, _ body: @escaping @Sendable () -> Void
    ) -> Result<pthread_t, SimulatorError> {
        var thread = pthread_t()
        let rc = OSThread.spawn(name: name, stackSize: stackSize, detached: detached, handle: &thread, body)
        guard rc == 0 else {
            return .failure(SimulatorError(.threadFailed, "cannot start thread \(name): \(errorText(rc))"))
        }
        return .success(thread)
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
