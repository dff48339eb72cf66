import Foundation
import Synchronization

/// What the threads of one simulator run share: its start time, the stop flag, the open
/// connections (so `stop()` can wake them) and the timing log.
final class SimRuntime: Sendable {
    /// `CLOCK_MONOTONIC` when the run started; faults are scheduled relative to it.
    let startNanoseconds: Int64
    let timingLog: SimTimingLog?
    /// SCHED_FIFO priority for connection threads, when asked for.
    let realtimePriority: Int?
    /// Connection threads that could not get the real-time priority they were asked for.
    let realtimeFailures = Atomic<Int>(0)

    private let stopping = Atomic<Bool>(false)
    private let nextConnection = Atomic<Int>(0)
    private let connections = Mutex(Connections())

    private struct Connections {
        var sockets: Set<Int32> = []
        var threads = 0
    }

    init(startNanoseconds: Int64, timingLog: SimTimingLog?, realtimePriority: Int?) {
        self.startNanoseconds = startNanoseconds
        self.timingLog = timingLog
        self.realtimePriority = realtimePriority
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// A fresh id for the timing log's `conn_id`.
    func connectionID() -> Int { nextConnection.add(1, ordering: .relaxed).newValue }

    // MARK: Connection bookkeeping

    /// Counts a connection thread about to be started, so `stop()` waits for it.
    func threadStarting() { connections.withLock { $0.threads += 1 } }

    /// Uncounts a connection thread; its last act.
    func threadEnded() { connections.withLock { $0.threads -= 1 } }

    /// Records an open connection so `stop()` can shut it down; false once stopping, when the
    /// caller must close it at once.
    func register(socket: Int32) -> Bool {
        connections.withLock { table in
            guard !isStopping else { return false }
            table.sockets.insert(socket)
            return true
        }
    }

    /// Forgets a connection; the caller closes its socket afterwards, so `stop()` never shuts
    /// down a descriptor number that has been reused.
    func unregister(socket: Int32) { _ = connections.withLock { $0.sockets.remove(socket) } }

    /// Sets the stop flag and wakes every connection thread blocked in `recv`.
    func beginStopping() {
        stopping.store(true, ordering: .releasing)
        connections.withLock { table in
            for socket in table.sockets { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    /// Waits up to `timeout` for every connection thread to end; false if some are still running.
    func waitForConnections(timeout: Duration) -> Bool {
        let deadline = SimThread.monotonicNanoseconds() + timeout.nanoseconds
        while connections.withLock({ $0.threads }) > 0 {
            if SimThread.monotonicNanoseconds() > deadline { return false }
            usleep(1000)
        }
        return true
    }

    /// Sleeps until `deadline` (monotonic nanoseconds) in short slices; false when stopped first.
    func sleep(untilNanoseconds deadline: Int64) -> Bool {
        while true {
            if isStopping { return false }
            let now = SimThread.monotonicNanoseconds()
            if now >= deadline { return true }
            SimThread.sleep(untilNanoseconds: min(deadline, now + 20_000_000))
        }
    }
}
