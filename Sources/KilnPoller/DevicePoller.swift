import KilnCore
import KilnModbus
import Logging
import Synchronization

/// Polls one device on its own thread, each scan class to an absolute monotonic deadline.
///
/// A slow cycle never drifts the schedule: deadlines advance by whole periods from the start,
/// and a deadline missed while a cycle overran is counted as an overrun and skipped, not queued.
/// Each device has its own thread, so a dead or slow device never delays another's schedule.
public final class DevicePoller: Sendable {
    public let index: Int
    public let device: DeviceConfig
    private let state: Mutex<State>
    private let counters = PollerCounters()

    private struct State: ~Copyable {
        var session: DeviceSession?
        var thread: PollerThread?
    }

    /// - Parameters:
    ///   - index: the device's index in the gateway config (carried by its samples).
    ///   - device: the device.
    public init(index: Int, device: DeviceConfig) {
        self.index = index
        self.device = device
        self.state = Mutex(State())
    }

    public var statistics: PollerStatistics { counters.snapshot }

    /// Starts the poll thread.
    ///
    /// - Parameters:
    ///   - phase: delay of the first cycle, to spread devices over their period.
    ///   - realtime: the priority to ask for; what was achieved goes to `onPriority`.
    ///   - queue: where samples go.
    func start(
        phase: Duration, realtime: RealtimeConfig, queue: SampleQueue, logger: Logger,
        onPriority: @escaping @Sendable (AchievedPriority) -> Void
    ) throws(ModbusError) {
        let session = try DeviceSession(index: index, device: device, logger: logger)
        let thread = PollerThread()
        let counters = self.counters
        // The session moves to the poller thread; nothing else touches it until join.
        nonisolated(unsafe) let owned = session
        let rc = thread.start {
            onPriority(Realtime.applyToCurrentThread(realtime))
            DevicePoller.loop(session: owned, phase: phase, queue: queue, counters: counters, thread: thread)
            owned.close()
        }
        if rc != 0 {
            throw ModbusError(kind: .connect, code: rc, message: "cannot start poller thread")
        }
        state.withLock { $0.thread = thread }
    }

    /// Asks the thread to stop and wakes it from its sleep.
    func requestStop() {
        counters.stopping.store(true, ordering: .releasing)
        state.withLock { $0.thread?.wake() }
    }

    /// Waits for the thread to finish its cycle and close its connection.
    func join() {
        let thread = state.withLock { state -> PollerThread? in
            let t = state.thread
            state.thread = nil
            return t
        }
        thread?.join()
    }

    private static func loop(
        session: DeviceSession, phase: Duration, queue: SampleQueue, counters: PollerCounters, thread: PollerThread
    ) {
        let periods = session.scanClasses.map { $0.period.nanoseconds }
        let start = Clocks.monotonicNanoseconds() + phase.nanoseconds
        var deadlines = periods.map { _ in start }
        var samples: [Sample] = []
        samples.reserveCapacity(session.device.tags.count)
        while !counters.stopping.load(ordering: .acquiring) {
            guard let next = deadlines.min() else {
                // A device without tags has nothing to poll: just wait to be stopped.
                thread.sleep(untilMonotonic: Clocks.monotonicNanoseconds() + 3_600_000_000_000)
                continue
            }
            if Clocks.monotonicNanoseconds() < next {
                thread.sleep(untilMonotonic: next)
                continue  // re-check: woken early by a signal, or due now
            }
            let cycleStart = Clocks.monotonicNanoseconds()
            var lateness: Int64 = 0
            for scan in deadlines.indices where deadlines[scan] <= cycleStart {
                lateness = max(lateness, cycleStart - deadlines[scan])
                let requestsBefore = session.stats.requests
                session.poll(scan: scan, into: &samples)
                counters.cycles.add(1, ordering: .relaxed)
                counters.requests.add(session.stats.requests - requestsBefore, ordering: .relaxed)
            }
            let now = Clocks.monotonicNanoseconds()
            for scan in deadlines.indices where deadlines[scan] <= cycleStart {
                deadlines[scan] += periods[scan]
                if deadlines[scan] <= now {
                    // Overran: skip the deadlines already missed instead of bursting to catch up.
                    let missed = (now - deadlines[scan]) / periods[scan] + 1
                    deadlines[scan] += missed * periods[scan]
                    counters.overruns.add(Int(missed), ordering: .relaxed)
                }
            }
            counters.failures.store(session.stats.failures, ordering: .relaxed)
            counters.connected.store(session.isConnected, ordering: .relaxed)
            counters.recordLateness(lateness)
            if !samples.isEmpty {
                queue.push(samples)
                samples.removeAll(keepingCapacity: true)
            }
        }
    }
}

/// What a poller has done so far.
public struct PollerStatistics: Sendable, Hashable {
    public var cycles: Int
    public var requests: Int
    public var failures: Int
    public var overruns: Int
    public var connected: Bool
    /// Largest wake-up lateness seen, nanoseconds.
    public var maxLatenessNanoseconds: Int64
}

final class PollerCounters: Sendable {
    let stopping = Atomic<Bool>(false)
    let cycles = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let overruns = Atomic<Int>(0)
    let connected = Atomic<Bool>(false)
    let maxLateness = Atomic<Int64>(0)

    func recordLateness(_ ns: Int64) {
        var current = maxLateness.load(ordering: .relaxed)
        while ns > current {
            let (exchanged, original) = maxLateness.compareExchange(
                expected: current, desired: ns, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
    }

    var snapshot: PollerStatistics {
        PollerStatistics(
            cycles: cycles.load(ordering: .relaxed), requests: requests.load(ordering: .relaxed),
            failures: failures.load(ordering: .relaxed), overruns: overruns.load(ordering: .relaxed),
            connected: connected.load(ordering: .relaxed), maxLatenessNanoseconds: maxLateness.load(ordering: .relaxed))
    }
}
