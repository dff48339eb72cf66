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
/// Why many devices a thread, and why each on its own phase: on a VM a thread's wake-up costs
/// more than the request it makes, and under a real-time policy a burst of requests sent back to
/// back shifts each one by the variable cost of those ahead of it (tools/bench: 4 devices a
/// burst already doubled the period jitter at the server). So a group's devices are spread over
/// the period (``Poller``), the thread sleeps to one absolute deadline at a time and, woken,
/// sends what is due before anything else: each request leaves as exactly as a thread of its
/// own would send it. Replies that came in since the last wake-up are then taken in one
/// zero-timeout poll() over the sockets with something outstanding, and the samples of the
/// wake-up go downstream as one batch. The thread does not wake for a reply when its next
/// deadline is at most ``PollLoop/replyWindow`` away: one wake-up a request instead of two (a
/// reply waits at most that long; its samples are stamped when taken). When the next deadline is
/// further off, it waits for replies in poll() as before.
///
/// No device waits for another: requests and replies never block (``ModbusConnection``), each
/// device has its own response and connect timeouts, busy retries and back-off, and a slow or
/// dead device's outstanding request only adds its socket to the poll() set. The idle socket of
/// the device due next is looked at in the same poll(), so what a device sends unasked is read,
/// discarded and counted (``DeviceSession/unaskedArrived(now:into:)``) before its next request,
/// a device that hung up is seen, and the request itself needs no draining recv first.
///
/// A slow cycle never drifts the schedule: deadlines advance by whole periods from the start,
/// and a deadline that finds the previous read of its scan still going is counted as an
/// overrun and skipped, not queued.
final class PollGroup: Sendable {
    let members: [DevicePoller]
    let thread = PollerThread()
    private let stopping = Atomic<Bool>(false)
    /// Monotonic nanoseconds by which the thread must next turn its loop: the deadline it sleeps
    /// to, or, while it works a turn, the time the turn began. A thread further past this than
    /// a watchdog allows is stuck (``Poller/stalledThreads(tolerance:)``); Int64.max before it runs.
    let due = Atomic<Int64>(.max)

    init(members: [DevicePoller]) {
        self.members = members
    }

    /// Starts the thread.
    ///
    /// - Parameters:
    ///   - phases: per member, the delay of its first deadline, to spread requests over the period.
    ///   - realtime: the priority to ask for; what was achieved goes to `onPriority`.
    ///   - queue: where samples go.
    func start(
        phases: [Duration], realtime: RealtimeConfig, queue: SampleQueue, logger: Logger,
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
            let start = Clocks.monotonicNanoseconds()
            var loop = PollLoop(
                sessions: owned, counters: counters, starts: phases.map { start + $0.nanoseconds })
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
    /// A reply due before the next deadline closer than this is taken at that deadline, not
    /// woken for.
    static let replyWindow: Int64 = 1_000_000

    let sessions: [DeviceSession]
    let counters: [PollerCounters]
    var schedule = PollSchedule()
    /// Sessions waiting for a reply, a connection or a busy retry (their `deadline` is set).
    var outstanding: [Int] = []
    var isOutstanding: [Bool]
    /// Sessions whose state changed in this turn of the loop (their counters are refreshed).
    var touched: [Int] = []
    var isTouched: [Bool]
    var samples: [Sample] = []
    var fds: [pollfd] = []
    var owners: [Int] = []

    init(sessions: [DeviceSession], counters: [PollerCounters], starts: [Int64]) {
        self.sessions = sessions
        self.counters = counters
        for (s, session) in sessions.enumerated() {
            for (scan, scanClass) in session.scanClasses.enumerated() {
                schedule.insert(
                    PollSchedule.Deadline(session: s, scan: scan, period: scanClass.period.nanoseconds, next: starts[s])
                )
            }
        }
        isOutstanding = Array(repeating: false, count: sessions.count)
        isTouched = Array(repeating: false, count: sessions.count)
        // A turn handles a device or two: the buffer grows to what turns hold, not to every tag.
        samples.reserveCapacity(64)
        fds.reserveCapacity(16)
        owners.reserveCapacity(16)
    }

    mutating func run(queue: SampleQueue, group: PollGroup) {
        let thread = group.thread
        while !group.isStopping {
            let now = Clocks.monotonicNanoseconds()
            group.due.store(now, ordering: .relaxed)
            startDueScans(now: now)
            takeReplies(now: now)
            expireDeadlines(now: now)
            publish(to: queue)

            let next = min(schedule.earliest, outstandingDeadline())
            group.due.store(next, ordering: .relaxed)
            if next - Clocks.monotonicNanoseconds() > Self.replyWindow, collectSockets(includingNextDue: false) {
                let ready = thread.poll(&fds, untilMonotonic: next)
                guard ready > 0 else { continue }  // the deadline, woken, or interrupted
                let woke = Clocks.monotonicNanoseconds()
                handleReady(now: woke)
            } else {
                thread.sleep(untilMonotonic: next)
            }
        }
    }

    // MARK: Turn

    /// Sends what is due: for each scan whose deadline came, queues it on its session and starts
    /// the session, then moves the deadline on.
    mutating func startDueScans(now: Int64) {
        while let due = schedule.first, due.next <= now {
            let counters = self.counters[due.session]
            counters.recordLateness(now - due.next)
            if sessions[due.session].enqueue(scan: due.scan) {
                sessions[due.session].advance(now: now, into: &samples)
            } else {
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
            schedule.rescheduleFirst(to: next)
            touch(due.session)
        }
    }

    /// One zero-timeout poll() over the outstanding sockets and the idle one of the session due
    /// next; the ready ones are read.
    mutating func takeReplies(now: Int64) {
        guard collectSockets(includingNextDue: true) else { return }
        guard SocketWait.poll(&fds, untilMonotonic: 0) > 0 else {
            for i in fds.indices { sessions[owners[i]].connection.noteNothingPending() }
            return
        }
        handleReady(now: Clocks.monotonicNanoseconds())
    }

    /// Fills `fds` with the sockets of the outstanding sessions (and, when asked, the idle
    /// connected socket of the session due next); false when there are none.
    mutating func collectSockets(includingNextDue: Bool) -> Bool {
        fds.removeAll(keepingCapacity: true)
        owners.removeAll(keepingCapacity: true)
        for s in outstanding {
            let events = sessions[s].socketEvents
            guard events != 0 else { continue }
            fds.append(pollfd(fd: sessions[s].connection.socket, events: events, revents: 0))
            owners.append(s)
        }
        if includingNextDue, let next = schedule.first?.session, !isOutstanding[next] {
            let events = sessions[next].socketEvents
            if events != 0 {
                fds.append(pollfd(fd: sessions[next].connection.socket, events: events, revents: 0))
                owners.append(next)
            }
        }
        return !fds.isEmpty
    }

    /// Calls back the sessions whose socket poll() found ready.
    mutating func handleReady(now: Int64) {
        for i in fds.indices {
            let s = owners[i]
            if fds[i].revents != 0 {
                sessions[s].socketReady(now: now, into: &samples)
                touch(s)
            } else {
                // Seen empty just now: its next request need not drain it first.
                sessions[s].connection.noteNothingPending()
            }
        }
    }

    /// Calls back the sessions whose timeout or retry time came.
    mutating func expireDeadlines(now: Int64) {
        for s in outstanding {
            if let deadline = sessions[s].deadline, deadline <= now {
                sessions[s].deadlinePassed(now: now, into: &samples)
                touch(s)
            }
        }
    }

    /// Hands the samples of this turn downstream as one batch, refreshes the counters of the
    /// sessions that changed, and updates which sessions are outstanding.
    mutating func publish(to queue: SampleQueue) {
        if !samples.isEmpty {
            // A copy of exactly this turn's samples goes downstream, and `samples` keeps its
            // buffer: handing over the buffer itself would allocate a new one each turn.
            var batch: [Sample] = []
            batch.reserveCapacity(samples.count)
            batch.append(contentsOf: samples)
            queue.push(batch)
            samples.removeAll(keepingCapacity: true)
        }
        guard !touched.isEmpty else { return }
        for s in touched {
            counters[s].update(from: sessions[s])
            isTouched[s] = false
            if sessions[s].deadline != nil, !isOutstanding[s] {
                isOutstanding[s] = true
                outstanding.append(s)
            }
        }
        touched.removeAll(keepingCapacity: true)
        var kept = 0
        for i in outstanding.indices {
            let s = outstanding[i]
            if sessions[s].deadline == nil {
                isOutstanding[s] = false
            } else {
                outstanding[kept] = s
                kept += 1
            }
        }
        outstanding.removeLast(outstanding.count - kept)
    }

    private mutating func touch(_ s: Int) {
        if !isTouched[s] {
            isTouched[s] = true
            touched.append(s)
        }
    }

    /// The earliest timeout or retry time of the outstanding sessions.
    func outstandingDeadline() -> Int64 {
        var next = Int64.max
        for s in outstanding {
            if let deadline = sessions[s].deadline, deadline < next { next = deadline }
        }
        return next
    }
}
