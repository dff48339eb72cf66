import KilnCore
import KilnModbus
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One device's connection and read plan: reads due blocks and turns replies into samples.
///
/// Owned by one thread at a time (it owns a connection). The plan changes at run time: a block
/// the device refuses with illegal-address is split, and split again, until the tag at fault
/// stands alone, marked bad, while every other tag of the device keeps being read.
///
/// A session is a state machine that never waits by itself (DeviceSession+Cycle.swift): a
/// ``PollGroup`` thread drives many sessions at once, waiting on all their sockets in one
/// poll(), and ``poll(scan:into:)`` drives one session to the end of a scan, waiting on its
/// socket alone. Both run the same requests, replies, retries, splits and samples.
public final class DeviceSession {
    public let index: Int
    public let device: DeviceConfig
    public internal(set) var scanClasses: [ScanClass]
    let connection: ModbusConnection
    /// The values of the last reply, one per register or bit.
    let words: UnsafeMutableBufferPointer<UInt16>
    /// Per tag (by index in the device), what decoding needs.
    let decoders: [TagDecoder]
    let logger: Logger

    /// Reconnect back-off: doubles from `minBackoff` to `maxBackoff`, with jitter. Only a good
    /// reply resets it, so a device that accepts connections but never answers backs off too.
    static let minBackoff: Int64 = 100_000_000
    static let maxBackoff: Int64 = 30_000_000_000
    var connectFailures = 0
    var nextConnectAttempt: Int64 = 0
    var lastConnectError: ModbusError?

    /// Busy (exception 6) replies are retried this many times, `busyDelay` apart.
    static let busyRetries = 2
    static let busyDelay: Int64 = 20_000_000

    public internal(set) var stats = SessionStats()
    /// Where requests, failures and latencies are recorded as well (DeviceSession+Metrics.swift).
    let metrics: DeviceMetrics?
    /// When the request in flight left (monotonic), for its latency.
    var requestSentAt: Int64 = 0
    /// Discarded frames already logged (``reportDiscards()``).
    var reportedDiscards = 0

    // MARK: Cycle state (DeviceSession+Cycle.swift)

    /// Scans that fell due and wait for the scan in progress to end, in the order they fell due.
    var queued: [Int] = []
    /// The scan being read: which block is next, and how often it was retried as busy.
    var active: (scan: Int, block: Int, attempt: Int)?
    var step = Step.idle

    /// - Parameters:
    ///   - index: the device's index in the gateway config (carried by its samples).
    ///   - device: the device.
    ///   - metrics: the device's metrics (its ``DevicePoller``'s), or nil to record none.
    public init(index: Int, device: DeviceConfig, logger: Logger, metrics: DeviceMetrics? = nil) throws(ModbusError) {
        self.index = index
        self.device = device
        self.metrics = metrics
        self.scanClasses = ReadPlanner.plan(device)
        self.connection = ModbusConnection(
            host: device.host, port: device.port, unit: device.unit, timeout: device.timeout)
        // As large as the largest planned block (splitting only makes blocks smaller), not as
        // the protocol's 2000 bits: a thousand devices would hold 4 MB of it.
        let largest = scanClasses.lazy.flatMap(\.blocks).map(\.count).max() ?? 1
        self.words = .allocate(capacity: max(largest, 1))
        words.initialize(repeating: 0)
        self.decoders = device.tags.map(TagDecoder.init)
        var logger = logger
        logger[metadataKey: "kiln.device"] = "\(device.name)"
        self.logger = logger
        queued.reserveCapacity(scanClasses.count)
    }

    deinit {
        words.deallocate()
    }

    public var isConnected: Bool { connection.isConnected }

    /// The frames and bytes this device sent that answered no request, discarded so far.
    public var discards: ModbusDiscards { connection.discards }

    /// Reads every block of scan class `scan`, waiting for each reply, and appends a sample per
    /// tag to `samples`.
    public func poll(scan: Int, into samples: inout [Sample]) {
        _ = enqueue(scan: scan)
        advance(now: Clocks.monotonicNanoseconds(), into: &samples)
        while true {
            switch step {
            case .idle:
                return
            case .connecting(let deadline):
                _ = connection.waitConnected(until: deadline)
                let now = Clocks.monotonicNanoseconds()
                if connection.state == .connecting, now >= deadline {
                    deadlinePassed(now: now, into: &samples)
                } else {
                    socketReady(now: now, into: &samples)
                }
            case .awaiting(let deadline):
                let complete: Bool
                do {
                    complete = try connection.receive(into: words, until: deadline)
                } catch {
                    replyFailed(error, now: Clocks.monotonicNanoseconds(), into: &samples)
                    continue
                }
                let now = Clocks.monotonicNanoseconds()
                if complete {
                    replied(now: now, into: &samples)
                } else {
                    deadlinePassed(now: now, into: &samples)
                }
            case .retrying(let at):
                Clocks.sleep(untilMonotonic: at)
                let now = Clocks.monotonicNanoseconds()
                if now >= at { deadlinePassed(now: now, into: &samples) }
            }
        }
    }

    /// Reads every scan class once (`kiln read`).
    public func readAll() -> [Sample] {
        var samples: [Sample] = []
        for scan in scanClasses.indices { poll(scan: scan, into: &samples) }
        return samples
    }

    /// Closes the connection.
    public func close() { connection.close() }
}

/// Counters of one device session.
public struct SessionStats: Sendable, Hashable {
    public var requests = 0
    /// Requests that failed: timeouts, broken connections, exception replies.
    public var failures = 0
    /// Connection attempts that failed.
    public var failedConnects = 0
    public var busyRetries = 0
    /// Scans read to the end (good or bad).
    public var cycles = 0
}

extension Int {
    var isPowerOfTwo: Bool { self > 0 && (self & (self - 1)) == 0 }
}
