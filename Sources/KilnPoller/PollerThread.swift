import KilnCore
import KilnModbus
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A dedicated OS thread, outside Swift's cooperative pool, for polling devices.
///
/// `@unchecked Sendable`: `handle` and `started` are written by `start` before the object is
/// shared, and afterwards only by `join`, which the owner calls once, after the thread was told
/// to stop.
final class PollerThread: @unchecked Sendable {
    /// The loop needs little stack; a small one keeps many threads within the memory budget.
    static let stackSize = 256 * 1024

    private(set) var handle: pthread_t = 0
    private let finished = Atomic<Bool>(false)
    /// True while the thread sleeps in `sleep(untilMonotonic:)` or `poll`: only then is the wake
    /// signal sent, so it never interrupts other system calls.
    private let sleeping = Atomic<Bool>(false)
    private var started = false

    /// Starts `body` on a new thread. Returns the pthread_create error code, or 0.
    func start(_ body: @escaping () -> Void) -> Int32 {
        PollerThread.installWakeSignal()
        // The thread keeps this object alive until it has said it is finished.
        let rc = OSThread.spawn(name: "kiln-poll", stackSize: PollerThread.stackSize, handle: &handle) { [self] in
            // A new thread inherits its creator's signal mask; created from async code that is a
            // libdispatch worker's, which blocks the wake signal. Unblock it so stop is prompt.
            var wake = sigset_t()
            sigemptyset(&wake)
            sigaddset(&wake, PollerThread.wakeSignal)
            pthread_sigmask(SIG_UNBLOCK, &wake, nil)
            body()
            finished.store(true, ordering: .releasing)
        }
        started = rc == 0
        return rc
    }

    /// Sleeps the calling thread (which must be this one) until the monotonic deadline, or until
    /// `wake()`.
    func sleep(untilMonotonic deadline: Int64) {
        sleeping.store(true, ordering: .sequentiallyConsistent)
        Clocks.sleep(untilMonotonic: deadline)
        sleeping.store(false, ordering: .sequentiallyConsistent)
    }

    /// Waits on `fds` until one is ready or until the monotonic deadline (ppoll, to the
    /// nanosecond: one system call where poll()'s whole milliseconds need a sleep after it), on
    /// the calling thread (which must be this one); woken like `sleep(untilMonotonic:)` by
    /// `wake()`. Returns ppoll()'s result (0 at the deadline, -1 when woken).
    func poll(_ fds: inout [pollfd], untilMonotonic deadline: Int64) -> Int32 {
        sleeping.store(true, ordering: .sequentiallyConsistent)
        let rc = SocketWait.poll(&fds, untilMonotonic: deadline)
        sleeping.store(false, ordering: .sequentiallyConsistent)
        return rc
    }

    /// Interrupts the thread's `sleep(untilMonotonic:)` or `poll`, if it is in one.
    func wake() {
        if started, sleeping.load(ordering: .sequentiallyConsistent) {
            pthread_kill(handle, PollerThread.wakeSignal)
        }
    }

    /// Waits for the thread to end, re-sending the wake signal while it sleeps: a signal that
    /// lands just before the thread enters its sleep would otherwise leave it asleep a whole period.
    func join() {
        guard started else { return }
        while !finished.load(ordering: .acquiring) {
            wake()
            usleep(20_000)
        }
        pthread_join(handle, nil)
        started = false
    }

    private static let wakeSignalInstalled = Atomic<Bool>(false)

    /// The signal that interrupts a poller's `clock_nanosleep` so that stopping is immediate
    /// rather than up to one (possibly long) poll period later.
    static let wakeSignal = SIGUSR2

    /// Installs a handler that does nothing, without SA_RESTART, so the signal makes a sleeping
    /// poller return EINTR.
    static func installWakeSignal() {
        guard !wakeSignalInstalled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(wakeSignal, &action, nil)
    }
}
