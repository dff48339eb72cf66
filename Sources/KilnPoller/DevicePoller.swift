import CoreMetrics
import KilnCore
import KilnModbus
import Synchronization

/// One device as the running poller sees it: its config and what polling it has done so far.
///
/// The device is polled by the ``PollGroup`` thread that owns its session; this is the handle
/// the rest of Kiln reads its statistics from.
public final class DevicePoller: Sendable {
    public let index: Int
    public let device: DeviceConfig
    /// The device's metrics, made once here and recorded by its poller thread.
    public let metrics: DeviceMetrics
    let counters: PollerCounters

    /// - Parameters:
    ///   - index: the device's index in the gateway config (carried by its samples).
    ///   - device: the device.
    ///   - metrics: where its metrics go; nil for swift-metrics' global `MetricsSystem.factory`.
    public init(index: Int, device: DeviceConfig, metrics factory: (any MetricsFactory)? = nil) {
        self.index = index
        self.device = device
        self.metrics = DeviceMetrics(device: device, factory: factory)
        self.counters = PollerCounters(metrics: metrics)
    }

    public var statistics: PollerStatistics { counters.snapshot }

    /// The device's shortest scan period.
    var shortestPeriod: Duration { device.tags.map(\.poll).min() ?? device.poll }
}

/// What a poller has done so far.
public struct PollerStatistics: Sendable, Hashable {
    public var cycles: Int
    public var requests: Int
    /// Failed requests (timeouts, broken connections, exception replies).
    public var failures: Int
    /// Failed connection attempts (refused, unreachable, timed out).
    public var failedConnects = 0
    public var overruns: Int
    public var connected: Bool
    /// Largest wake-up lateness seen, nanoseconds.
    public var maxLatenessNanoseconds: Int64
    /// Frames the device sent that answered no request, discarded.
    public var discards = ModbusDiscards()
}

/// Written by the device's poller thread only, read by anyone.
final class PollerCounters: Sendable {
    let cycles = Atomic<Int>(0)
    let requests = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let failedConnects = Atomic<Int>(0)
    let overruns = Atomic<Int>(0)
    let connected = Atomic<Bool>(false)
    let maxLateness = Atomic<Int64>(0)
    let unasked = Atomic<Int>(0)
    let mismatched = Atomic<Int>(0)
    let discardedBytes = Atomic<Int>(0)
    /// Overruns already added to the metrics (the poll loop counts them in `overruns`).
    private let overrunsRecorded = Atomic<Int>(0)
    private let metrics: DeviceMetrics

    init(metrics: DeviceMetrics) {
        self.metrics = metrics
    }

    func recordLateness(_ ns: Int64) {
        // One writer: a plain load and store suffice.
        if ns > maxLateness.load(ordering: .relaxed) { maxLateness.store(ns, ordering: .relaxed) }
    }

    /// Copies the session's counters (on its poller thread).
    func update(from session: DeviceSession) {
        cycles.store(session.stats.cycles, ordering: .relaxed)
        requests.store(session.stats.requests, ordering: .relaxed)
        failures.store(session.stats.failures, ordering: .relaxed)
        failedConnects.store(session.stats.failedConnects, ordering: .relaxed)
        connected.store(session.isConnected, ordering: .relaxed)
        let discards = session.discards
        // One writer: what the metrics lack is the difference from the last stored total.
        metrics.unasked.increment(by: max(0, discards.unasked - unasked.load(ordering: .relaxed)))
        metrics.mismatched.increment(by: max(0, discards.mismatched - mismatched.load(ordering: .relaxed)))
        unasked.store(discards.unasked, ordering: .relaxed)
        mismatched.store(discards.mismatched, ordering: .relaxed)
        discardedBytes.store(discards.bytes, ordering: .relaxed)
        let overran = overruns.load(ordering: .relaxed)
        metrics.overruns.increment(by: max(0, overran - overrunsRecorded.load(ordering: .relaxed)))
        overrunsRecorded.store(overran, ordering: .relaxed)
    }

    var snapshot: PollerStatistics {
        PollerStatistics(
            cycles: cycles.load(ordering: .relaxed), requests: requests.load(ordering: .relaxed),
            failures: failures.load(ordering: .relaxed), failedConnects: failedConnects.load(ordering: .relaxed),
            overruns: overruns.load(ordering: .relaxed),
            connected: connected.load(ordering: .relaxed), maxLatenessNanoseconds: maxLateness.load(ordering: .relaxed),
            discards: ModbusDiscards(
                unasked: unasked.load(ordering: .relaxed), mismatched: mismatched.load(ordering: .relaxed),
                bytes: discardedBytes.load(ordering: .relaxed)))
    }
}
