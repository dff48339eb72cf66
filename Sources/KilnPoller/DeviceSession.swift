import KilnCore
import KilnModbus
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One device's connection and read plan: reads due blocks and turns replies into samples.
///
/// Owned by one thread at a time (it owns a libmodbus context). The plan changes at run time:
/// a block the device refuses with illegal-address is split, and split again, until the tag at
/// fault stands alone, marked bad, while every other tag of the device keeps being read.
public final class DeviceSession {
    public let index: Int
    public let device: DeviceConfig
    public private(set) var scanClasses: [ScanClass]
    private let client: ModbusClient
    private var buffer: [UInt16]
    private var logger: Logger

    /// Reconnect back-off: doubles from `minBackoff` to `maxBackoff`, with jitter. Only a good
    /// reply resets it, so a device that accepts connections but never answers backs off too.
    static let minBackoff: Int64 = 100_000_000
    static let maxBackoff: Int64 = 30_000_000_000
    private var connectFailures = 0
    private var nextConnectAttempt: Int64 = 0
    private var lastConnectError: ModbusError?

    /// Busy (exception 6) replies are retried this many times, `busyDelay` apart.
    static let busyRetries = 2
    static let busyDelay: Int64 = 20_000_000

    public private(set) var stats = SessionStats()

    public init(index: Int, device: DeviceConfig, logger: Logger) throws(ModbusError) {
        self.index = index
        self.device = device
        self.scanClasses = ReadPlanner.plan(device)
        self.client = try ModbusClient(host: device.host, port: device.port, unit: device.unit, timeout: device.timeout)
        self.buffer = Array(repeating: 0, count: max(device.maxRegisters, device.maxBits, 1))
        var logger = logger
        logger[metadataKey: "kiln.device"] = "\(device.name)"
        self.logger = logger
    }

    public var isConnected: Bool { client.isConnected }

    /// Reads every block of scan class `scan` and appends a sample per tag to `samples`.
    public func poll(scan: Int, into samples: inout [Sample]) {
        let now = Clocks.monotonicNanoseconds()
        if !client.isConnected {
            if now < nextConnectAttempt, let error = lastConnectError {
                appendBad(blocks: scanClasses[scan].blocks[...], error: error, into: &samples)
                return
            }
            do {
                try client.connect()
            } catch {
                connectionFailed(error, at: now)
                appendBad(blocks: scanClasses[scan].blocks[...], error: error, into: &samples)
                return
            }
        }
        var b = 0
        while b < scanClasses[scan].blocks.count {
            let block = scanClasses[scan].blocks[b]
            do {
                try read(block)
                if connectFailures > 0 {
                    logger.info("device answers again", metadata: ["kiln.failures": "\(connectFailures)"])
                    connectFailures = 0
                    lastConnectError = nil
                }
                appendGood(block: block, into: &samples)
            } catch let error where error.isIllegalAddress {
                if let parts = ReadPlanner.split(block, of: device) {
                    logger.info(
                        "device refused a block with illegal address; splitting it",
                        metadata: ["kiln.block": "\(block.register) \(block.start)+\(block.count)"])
                    scanClasses[scan].blocks.replaceSubrange(b...b, with: parts)
                    continue
                }
                appendBad(blocks: [block][...], error: error, into: &samples)
            } catch let error where error.needsReconnect {
                // The connection is closed; the rest of this cycle would cost a timeout each.
                connectionFailed(error, at: Clocks.monotonicNanoseconds())
                appendBad(blocks: scanClasses[scan].blocks[b...], error: error, into: &samples)
                return
            } catch {
                appendBad(blocks: [block][...], error: error, into: &samples)
            }
            b += 1
        }
    }

    /// Reads every scan class once (`kiln read`).
    public func readAll() -> [Sample] {
        var samples: [Sample] = []
        for scan in scanClasses.indices { poll(scan: scan, into: &samples) }
        return samples
    }

    /// Closes the connection.
    public func close() { client.close() }

    // MARK: - Reading

    private func read(_ block: ReadBlock) throws(ModbusError) {
        var attempt = 0
        while true {
            stats.requests += 1
            do {
                try buffer.withUnsafeMutableBufferPointer { (words) throws(ModbusError) in
                    try client.read(block.register, address: block.start, count: block.count, into: words)
                }
                return
            } catch let error where error.isBusy && attempt < DeviceSession.busyRetries {
                attempt += 1
                stats.busyRetries += 1
                Clocks.sleep(untilMonotonic: Clocks.monotonicNanoseconds() + DeviceSession.busyDelay * Int64(attempt))
            } catch {
                stats.failures += 1
                throw error
            }
        }
    }

    private func connectionFailed(_ error: ModbusError, at now: Int64) {
        connectFailures += 1
        lastConnectError = error
        let exponent = min(connectFailures - 1, 20)
        let backoff = min(DeviceSession.minBackoff << exponent, DeviceSession.maxBackoff)
        // Jitter in [50%, 100%] keeps a plant's devices from reconnecting in lock-step.
        let jittered = backoff / 2 + Int64.random(in: 0...(backoff / 2))
        nextConnectAttempt = now + jittered
        if connectFailures == 1 || connectFailures.isPowerOfTwo {
            logger.warning(
                "device unreachable; retrying with back-off",
                metadata: [
                    "kiln.error": "\(error)", "kiln.attempts": "\(connectFailures)",
                    "kiln.retry_ms": "\(jittered / 1_000_000)",
                ])
        }
    }

    // MARK: - Samples

    private func appendGood(block: ReadBlock, into samples: inout [Sample]) {
        let ts = Clocks.wallMicroseconds()
        for t in block.tags {
            let tag = device.tags[t]
            let offset = tag.address - block.start
            let unscaled = Decoding.raw(words: buffer[offset..<offset + tag.count], tag: tag)
            let value = Decoding.engineering(unscaled, tag: tag)
            samples.append(
                Sample(
                    device: index, tag: t, value: value, raw: value, unscaled: unscaled, status: .good,
                    timestamp: ts))
        }
    }

    private func appendBad(blocks: ArraySlice<ReadBlock>, error: ModbusError, into samples: inout [Sample]) {
        let ts = Clocks.wallMicroseconds()
        let reason = error.description
        for block in blocks {
            for t in block.tags {
                samples.append(
                    Sample(
                        device: index, tag: t, value: nil, raw: nil, status: error.status, reason: reason,
                        fault: .comm, timestamp: ts))
            }
        }
    }
}

/// Counters of one device session.
public struct SessionStats: Sendable, Hashable {
    public var requests = 0
    public var failures = 0
    public var busyRetries = 0
}

extension Int {
    var isPowerOfTwo: Bool { self > 0 && (self & (self - 1)) == 0 }
}
