import CoreMetrics
import KilnCore
import KilnModbus
import Logging
import Synchronization

/// Polls every device of a gateway on dedicated threads, into one bounded queue.
///
/// Each ``PollGroup`` thread polls a few devices (``devicesPerThread(_:)``) on one deadline grid;
/// a device whose host is a name, which a connect must look up and may wait on, gets a thread to
/// itself. Groups' deadlines are spread evenly over the shortest period, so a plant's requests
/// do not all leave at once.
public final class Poller: Sendable {
    public let config: GatewayConfig
    public let queue: SampleQueue
    public let pollers: [DevicePoller]
    let groups: [PollGroup]
    private let logger: Logger
    private let achieved = Mutex<[AchievedPriority]>([])
    private let threadMetrics: PollerThreadMetrics

    /// The most devices one poller thread polls.
    ///
    /// A thread sends its devices' requests back to back at each deadline, so a device's request
    /// leaves after those ahead of it in its group (about 10 µs each on loopback), and how long
    /// that takes varies from cycle to cycle. Fewer devices a thread mean steadier periods and
    /// more wake-ups. tools/bench, 200 devices at 10 Hz on a 2-vCPU VM (CPU: the whole of
    /// `kiln run`, conditioning and start-up included):
    ///
    /// | devices a thread | period jitter p99, SCHED_FIFO under a CPU hog | CPU a request |
    /// |---|---|---|
    /// | 1  | 62–83 µs (1.5–1.9× cyclictest's p99) | 70 µs |
    /// | 2  | 72–85 µs (1.6–2.1×)                  | 60 µs |
    /// | 4  | 126–170 µs (2.2–3.6×)                | 49 µs |
    /// | 25 | 270–300 µs (6×)                      | 38 µs |
    ///
    /// A gateway that asks for a real-time policy asks for timing first and gets a thread per
    /// device (2 a thread measured up to 3.06× cyclictest in a later run, against the 3× bar);
    /// under normal scheduling, which promises no wake-up latency anyway, 25 a thread wake once
    /// for 25 requests.
    public static func devicesPerThread(_ realtime: RealtimeConfig) -> Int {
        realtime.policy == .other ? 25 : 1
    }

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
        self.groups = Poller.group(pollers, perThread: Poller.devicesPerThread(config.realtime)).map(PollGroup.init)
        self.logger = logger
        self.threadMetrics = PollerThreadMetrics(factory: metrics)
    }

    /// Splits devices into groups of at most `perThread`, in config order and of even sizes; a
    /// device whose host is not an IP address is a group of its own.
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
            groups.append(Array(numeric[numeric.count * g / count..<numeric.count * (g + 1) / count]))
        }
        return groups
    }

    /// What each started poller thread achieved when it asked for real-time priority.
    public var achievedPriorities: [AchievedPriority] { achieved.withLock { $0 } }

    /// Locks memory if asked, then starts the poller threads, their first deadlines spread
    /// evenly over the shortest period.
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
        for (g, group) in groups.enumerated() {
            let phase = shortest * (Double(g) / Double(groups.count))
            try group.start(phase: phase, realtime: config.realtime, queue: queue, logger: logger) {
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
    }

    /// Stops every poller thread, waits for each to close its connections.
    public func stop() {
        for group in groups { group.requestStop() }
        for group in groups { group.join() }
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
