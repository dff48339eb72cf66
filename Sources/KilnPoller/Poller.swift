import CoreMetrics
import KilnCore
import KilnModbus
import Logging
import Synchronization

/// Polls every device of a gateway on dedicated threads, into one bounded queue.
///
/// A ``PollGroup`` thread polls up to ``devicesPerThread`` devices; a device whose host is a
/// name, which a connect must look up and may wait on, gets a thread to itself. Devices are dealt
/// to the groups in turn and their first deadlines spread evenly over the shortest period, so a
/// plant's requests leave one at a time, each group's over the whole period.
public final class Poller: Sendable {
    public let config: GatewayConfig
    public let queue: SampleQueue
    public let pollers: [DevicePoller]
    let groups: [PollGroup]
    private let logger: Logger
    private let achieved = Mutex<[AchievedPriority]>([])
    private let threadMetrics: PollerThreadMetrics
    private let started = Atomic<Bool>(false)

    /// The most devices one poller thread polls, whatever the scheduling policy.
    ///
    /// A thread wakes once a request and sends it first (``PollGroup``), so how many devices it
    /// polls changes neither when a request leaves nor how many wake-ups it takes; fewer threads
    /// mean fewer stacks and fewer threads contending for the CPUs at the same priority. A thread
    /// spends about 15 µs a request, so 250 devices at 10 Hz keep it a few percent busy, and a
    /// gateway of thousands of devices still uses every core. tools/bench, 200 devices at 10 Hz,
    /// SCHED_FIFO under a CPU hog on a 2-vCPU VM (CPU: the whole of `kiln run`, live table,
    /// conditioning and start-up included; jitter at the server against cyclictest's p99):
    ///
    /// | design | CPU a request, against pymodbus's | jitter p99, against cyclictest's |
    /// |---|---|---|
    /// | a thread a device (before): wakes for its deadline and for its reply | 0.20–0.25× (median 0.22) | 2.3× quiet, 0.4–5.2× loaded |
    /// | one thread, each device on its own phase: a wake-up a request | 0.16–0.21× (median 0.19) | 1.2× quiet, 1.7–6.4× loaded |
    /// | (earlier) 25 a thread on one deadline grid, a burst a deadline | | 6× |
    ///
    /// "Loaded": other builds running on the VM, where cyclictest's own p99 moved 4–24 µs: the
    /// jitter ratio there measures the machine more than the design (tools/bench/README.md).
    public static let devicesPerThread = 250

    /// - Parameters:
    ///   - config: the gateway and its devices.
    ///   - queueCapacity: samples the hand-off queue holds before it drops (and counts) batches.
    ///   - metrics: where the poll metrics go (``DeviceMetrics``, `kiln_poller_threads`); nil for
    ///     swift-metrics' global `MetricsSystem.factory`, which must then be bootstrapped first.
    public init(
        config: GatewayConfig, queueCapacity: Int = 100_000, logger: Logger, metrics: (any MetricsFactory)? = nil
    ) {
        self.config = config
        self.queue = SampleQueue(capacity: queueCapacity)
        let pollers = config.devices.enumerated().map {
            DevicePoller(index: $0.offset, device: $0.element, metrics: metrics)
        }
        self.pollers = pollers
        self.groups = Poller.group(pollers, perThread: Poller.devicesPerThread).map(PollGroup.init)
        self.logger = logger
        self.threadMetrics = PollerThreadMetrics(factory: metrics)
    }

    /// Splits devices into groups of at most `perThread` and of even sizes, dealt in turn (the
    /// first group gets devices 0, n, 2n, ...); a device whose host is not an IP address is a
    /// group of its own.
    static func group(_ pollers: [DevicePoller], perThread: Int) -> [[DevicePoller]] {
        var numeric: [DevicePoller] = []
        var groups: [[DevicePoller]] = []
        for poller in pollers {
            if ModbusConnection.isNumericHost(poller.device.host) {
                numeric.append(poller)
            } else {
                groups.append([poller])
            }
        }
        let count = (numeric.count + perThread - 1) / perThread
        for g in 0..<count {
            groups.append(Array(stride(from: g, to: numeric.count, by: count).map { numeric[$0] }))
        }
        return groups
    }

    /// What each started poller thread achieved when it asked for real-time priority.
    public var achievedPriorities: [AchievedPriority] { achieved.withLock { $0 } }

    /// Locks memory if asked, then starts the poller threads, every device's first deadline at
    /// its own point of the shortest period (in config order), so that no two requests leave
    /// together.
    public func start() throws(ModbusError) {
        if config.realtime.lockMemory {
            if let refusal = Realtime.lockMemory() {
                logger.warning(
                    "lock_memory: mlockall refused; memory stays pageable", metadata: ["kiln.error": "\(refusal)"])
            } else {
                logger.info("lock_memory: all memory locked (mlockall)")
            }
        }
        let shortest = pollers.map(\.shortestPeriod).min() ?? .seconds(1)
        let count = max(pollers.count, 1)
        for group in groups {
            let phases = group.members.map { shortest * (Double($0.index) / Double(count)) }
            try group.start(phases: phases, realtime: config.realtime, queue: queue, logger: logger) {
                [self] priority in
                let first = self.achieved.withLock { list in
                    defer {
                        list.append(priority)
                        self.threadMetrics.record(list)
                    }
                    return !list.contains(priority)
                }
                if first { self.logger.notice("poller threads run at \(priority)") }
            }
        }
        started.store(true, ordering: .releasing)
    }

    /// True once ``start()`` has started every poller thread.
    public var isStarted: Bool { started.load(ordering: .acquiring) }

    /// How many poller threads are more than `tolerance` past the time they should have turned
    /// their loop again: stuck in a turn, or not woken from their sleep. A thread that waits for
    /// a distant deadline (a slow scan class) is not late, nor is one whose devices time out
    /// (it turns its loop to expire them): this is about the schedule running, not about
    /// devices answering.
    public func stalledThreads(tolerance: Duration) -> Int {
        let now = Clocks.monotonicNanoseconds()
        let limit = tolerance.nanoseconds
        return groups.reduce(0) { count, group in
            let due = group.due.load(ordering: .relaxed)
            return due != .max && now - due > limit ? count + 1 : count
        }
    }

    /// Stops every poller thread, waits for each to close its connections.
    public func stop() {
        for group in groups { group.requestStop() }
        for group in groups { group.join() }
        // Stopped is not stalled (a reload stops one poller while the next one runs).
        for group in groups { group.due.store(.max, ordering: .relaxed) }
    }

    public var statistics: [PollerStatistics] { pollers.map(\.statistics) }

    /// Reads every tag of every device once, each device on its own thread, so a dead device
    /// costs its own timeout and no one else's. Samples come back in device and tag order.
    public static func readOnce(_ config: GatewayConfig, logger: Logger) -> [Sample] {
        let results = Mutex<[[Sample]]>(Array(repeating: [], count: config.devices.count))
        var threads: [PollerThread] = []
        for (i, device) in config.devices.enumerated() {
            let thread = PollerThread()
            let rc = thread.start {
                var samples: [Sample]
                do throws(ModbusError) {
                    let session = try DeviceSession(index: i, device: device, logger: logger)
                    samples = session.readAll()
                    session.close()
                } catch {
                    let ts = WallClock.epochMicroseconds()
                    samples = device.tags.indices.map {
                        Sample(
                            device: i, tag: $0, value: nil, raw: nil, status: error.status, reason: error.description,
                            fault: .comm, timestamp: ts)
                    }
                }
                samples.sort { $0.tag < $1.tag }
                results.withLock { $0[i] = samples }
            }
            precondition(rc == 0, "cannot start a thread: error \(rc)")
            threads.append(thread)
        }
        for thread in threads { thread.join() }
        return results.withLock { $0.flatMap { $0 } }
    }
}
