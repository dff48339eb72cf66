import KilnCore
import KilnModbus
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A dedicated poller thread and the devices it polls: each device on its own connection, each
/// scan class to its own absolute monotonic deadlines.
///
/// Why several devices a thread: on a VM a thread's wake-up costs more than the request it makes
/// (tools/bench: two idle→wake transitions a request, about 30 µs, for a thread per device). The
/// devices of a group share one deadline grid, so one wake-up sends all their requests, and one
/// poll() over their sockets takes the replies as they come.
///
/// No device waits for another: requests and replies never block (``ModbusConnection``), each
/// device has its own response and connect timeouts, busy retries and back-off, and a slow or
/// dead device's outstanding request only adds its socket to the poll() set. Idle connections
/// are in that set too, so what a device sends unasked is read, discarded and counted as it
/// arrives (``DeviceSession/unaskedArrived(now:into:)``), and a device that hangs up is seen.
/// Requests of one deadline go out back to back, in device order, so each device's period stays
/// exact; a device's request leaves after the requests ahead of it in the group, a few
/// microseconds each.
///
/// A slow cycle never drifts the schedule: deadlines advance by whole periods from the start,
/// and a deadline that finds the previous read of its scan still going is counted as an
/// overrun and skipped, not queued.
final class PollGroup: Sendable {
    let members: [DevicePoller]
    let thread = PollerThread()
    private let stopping = Atomic<Bool>(false)

    init(members: [DevicePoller]) {
        self.members = members
    }

    /// Starts the thread.
    ///
    /// - Parameters:
    ///   - phase: delay of the first deadline, to spread groups over their period.
    ///   - realtime: the priority to ask for; what was achieved goes to `onPriority`.
    ///   - queue: where samples go.
    func start(
        phase: Duration, realtime: RealtimeConfig, queue: SampleQueue, logger: Logger,
        onPriority: @escaping @Sendable (AchievedPriority) -> Void
    ) throws(ModbusError) {
        var sessions: [DeviceSession] = []
        for member in members {
            sessions.append(
                try DeviceSession(index: member.index, device: member.device, logger: logger, metrics: member.metrics))
        }
        // The sessions move to the poller thread; nothing else touches them.
        nonisolated(unsafe) let owned = sessions
        let counters = members.map(\.counters)
        let rc = thread.start { [self] in
            onPriority(Realtime.applyToCurrentThread(realtime))
            var loop = PollLoop(
                sessions: owned, counters: counters, start: Clocks.monotonicNanoseconds() + phase.nanoseconds)
            loop.run(queue: queue, group: self)
            for (s, session) in owned.enumerated() {
                session.close()
                counters[s].update(from: session)
            }
        }
        if rc != 0 {
            throw ModbusError(kind: .connect, code: rc, message: "cannot start poller thread")
        }
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Asks the thread to stop and wakes it from its wait.
    func requestStop() {
        stopping.store(true, ordering: .releasing)
        thread.wake()
    }

    /// Waits for the thread to finish and close its connections.
    func join() {
        thread.join()
    }
}

/// The loop of one ``PollGroup`` thread.
struct PollLoop {
    /// One scan class of one session, and its next deadline.
    struct Deadline {
        var session: Int
        var scan: Int
        var period: Int64
        var next: Int64
    }

    let sessions: [DeviceSession]
    let counters: [PollerCounters]
    var schedule: [Deadline] = []
    /// Sessions whose state changed in this turn of the loop (their counters are refreshed).
    var touched: [Bool]
    var samples: [Sample] = []
    var fds: [pollfd] = []
    var owners: [Int] = []

    init(sessions: [DeviceSession], counters: [PollerCounters], start: Int64) {
        self.sessions = sessions
        self.counters = counters
        for (s, session) in sessions.enumerated() {
            for (scan, scanClass) in session.scanClasses.enumerated() {
                schedule.append(Deadline(session: s, scan: scan, period: scanClass.period.nanoseconds, next: start))
            }
        }
        touched = Array(repeating: false, count: sessions.count)
        samples.reserveCapacity(sessions.reduce(0) { $0 + $1.device.tags.count })
        fds.reserveCapacity(sessions.count)
        owners.reserveCapacity(sessions.count)
    }

    mutating func run(queue: SampleQueue, group: PollGroup) {
        let thread = group.thread
        while !group.isStopping {
            let now = Clocks.monotonicNanoseconds()
            startDueScans(now: now)
            expireDeadlines(now: now)
            publish(to: queue)

            let next = nextDeadline()
            fds.removeAll(keepingCapacity: true)
            owners.removeAll(keepingCapacity: true)
            for (s, session) in sessions.enumerated() {
                let events = session.socketEvents
                if events == 0 { continue }
                fds.append(pollfd(fd: session.connection.socket, events: events, revents: 0))
                owners.append(s)
            }
            if fds.isEmpty {
                thread.sleep(untilMonotonic: next)
                continue
            }
            let ready = thread.poll(&fds, untilMonotonic: next)
            guard ready >= 0 else { continue }  // woken, or interrupted: revents mean nothing
            let woke = Clocks.monotonicNanoseconds()
            for i in fds.indices {
                let s = owners[i]
                if fds[i].revents != 0 {
                    sessions[s].socketReady(now: woke, into: &samples)
                    touched[s] = true
                } else {
                    // Seen empty just now: its next request need not drain it first.
                    sessions[s].connection.noteNothingPending()
                }
            }
        }
    }

    /// Queues the scans whose deadline came, starts their sessions, and moves the deadlines on.
    mutating func startDueScans(now: Int64) {
        for i in schedule.indices where schedule[i].next <= now {
            let due = schedule[i]
            let counters = self.counters[due.session]
            counters.recordLateness(now - due.next)
            if !sessions[due.session].enqueue(scan: due.scan) {
                // Still reading this scan from its last deadline.
                counters.overruns.add(1, ordering: .relaxed)
            }
            var next = due.next + due.period
            if next <= now {
                // Overran: skip the deadlines already missed instead of bursting to catch up.
                let missed = (now - next) / due.period + 1
                next += missed * due.period
                counters.overruns.add(Int(missed), ordering: .relaxed)
            }
            schedule[i].next = next
            touched[due.session] = true
        }
        for s in sessions.indices where touched[s] {
            sessions[s].advance(now: now, into: &samples)
        }
    }

    /// Calls back the sessions whose timeout or retry time came.
    mutating func expireDeadlines(now: Int64) {
        for s in sessions.indices {
            if let deadline = sessions[s].deadline, deadline <= now {
                sessions[s].deadlinePassed(now: now, into: &samples)
                touched[s] = true
            }
        }
    }

    /// Hands the samples of this turn downstream, and refreshes the counters of the sessions
    /// that changed.
    mutating func publish(to queue: SampleQueue) {
        if !samples.isEmpty {
            // A copy of exactly this turn's samples goes downstream, and `samples` keeps its
            // buffer: handing over the buffer itself would allocate a new one, sized for every
            // tag of the group, each turn.
            var batch: [Sample] = []
            batch.reserveCapacity(samples.count)
            batch.append(contentsOf: samples)
            queue.push(batch)
            samples.removeAll(keepingCapacity: true)
        }
        for s in sessions.indices where touched[s] {
            counters[s].update(from: sessions[s])
            touched[s] = false
        }
    }

    /// The earliest scan deadline or session timeout.
    func nextDeadline() -> Int64 {
        var next = Int64.max
        for due in schedule where due.next < next { next = due.next }
        for session in sessions {
            if let deadline = session.deadline, deadline < next { next = deadline }
        }
        return next
    }
}
