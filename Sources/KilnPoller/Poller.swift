import KilnCore
import KilnModbus
import Logging
import Synchronization

/// Polls every device of a gateway, each on its own real-time thread, into one bounded queue.
public final class Poller: Sendable {
    public let config: GatewayConfig
    public let queue: SampleQueue
    public let pollers: [DevicePoller]
    private let logger: Logger
    private let achieved = Mutex<[AchievedPriority]>([])

    /// - Parameters:
    ///   - config: the gateway and its devices.
    ///   - queueCapacity: samples the hand-off queue holds before it drops (and counts) batches.
    public init(config: GatewayConfig, queueCapacity: Int = 100_000, logger: Logger) {
        self.config = config
        self.queue = SampleQueue(capacity: queueCapacity)
        self.pollers = config.devices.enumerated().map { DevicePoller(index: $0.offset, device: $0.element) }
        self.logger = logger
    }

    /// What each started poller thread achieved when it asked for real-time priority.
    public var achievedPriorities: [AchievedPriority] { achieved.withLock { $0 } }

    /// Locks memory if asked, then starts one thread per device, their first cycles spread
    /// evenly over the shortest period so that a plant's requests do not all leave at once.
    public func start() throws(ModbusError) {
        if config.realtime.lockMemory {
            if let refusal = Realtime.lockMemory() {
                logger.warning(
                    "lock_memory: mlockall refused; memory stays pageable", metadata: ["kiln.error": "\(refusal)"])
            } else {
                logger.info("lock_memory: all memory locked (mlockall)")
            }
        }
        let count = max(pollers.count, 1)
        for (i, poller) in pollers.enumerated() {
            let shortest = poller.device.tags.map(\.poll).min() ?? poller.device.poll
            let phase = shortest * (Double(i % count) / Double(count))
            try poller.start(phase: phase, realtime: config.realtime, queue: queue, logger: logger) {
                [self] priority in
                let first = self.achieved.withLock { list in
                    defer { list.append(priority) }
                    return !list.contains(priority)
                }
                if first { self.logger.notice("poller threads run at \(priority)") }
            }
        }
    }

    /// Stops every poller, waits for each to finish its cycle and close its connection.
    public func stop() {
        for poller in pollers { poller.requestStop() }
        for poller in pollers { poller.join() }
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
                    let ts = Clocks.wallMicroseconds()
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
