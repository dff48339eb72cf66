import CoreMetrics
import KilnCore
import KilnModbus

/// One device's poll metrics: handles made once, with the device's labels, when its
/// ``DevicePoller`` is built, and recorded by its poller thread without allocating or locking
/// anything a sink could hold (a swift-metrics counter is an atomic; a histogram's lock is its own,
/// held for a few additions).
///
/// | metric | labels | what |
/// |---|---|---|
/// | `kiln_poll_requests_total` | device, kind | requests sent, by register kind (holding, input, coil, discrete) |
/// | `kiln_poll_failures_total` | device, kind | failed requests by what failed (timeout, transport, exception), and failed connection attempts (connection) |
/// | `kiln_poll_latency_seconds` | device | from a request's sending to its reply (data or exception) or its failure |
/// | `kiln_poll_cycle_overruns_total` | device | scan deadlines skipped because the scan before was still being read |
/// | `kiln_poll_discarded_frames_total` | device, reason | frames that answered no request: unasked, mismatched |
///
/// It keeps the factory's handlers, not swift-metrics' `Counter` and `Timer` objects around them:
/// those add an object and a copy of the labels per metric (about 1 MB at 1,000 devices) and
/// only forward each call to the handler.
public struct DeviceMetrics: Sendable {
    /// By `RegisterKind`, in `allCases` order; nil for kinds the device does not read.
    let requests: [CounterHandle?]
    /// By ``PollFailureKind``, in `allCases` order.
    let failures: [CounterHandle]
    let latency: any TimerHandler
    let overruns: CounterHandle
    let unasked: CounterHandle
    let mismatched: CounterHandle

    /// Makes the device's metrics.
    ///
    /// - Parameters:
    ///   - device: the device; its name is the `device` label.
    ///   - factory: where the metrics go; nil for swift-metrics' global `MetricsSystem.factory`.
    public init(device: DeviceConfig, factory: (any MetricsFactory)? = nil) {
        let factory = factory ?? MetricsSystem.factory
        let name = ("device", device.name)
        let kinds = Set(device.tags.map(\.register))
        func counter(_ label: String, _ dimensions: [(String, String)]) -> CounterHandle {
            CounterHandle(factory.makeCounter(label: label, dimensions: dimensions))
        }
        requests = RegisterKind.allCases.map { kind in
            guard kinds.contains(kind) else { return nil }
            return counter(PollerMetricNames.requests, [name, ("kind", kind.rawValue)])
        }
        failures = PollFailureKind.allCases.map { counter(PollerMetricNames.failures, [name, ("kind", $0.rawValue)]) }
        latency = factory.makeTimer(label: PollerMetricNames.latency, dimensions: [name])
        overruns = counter(PollerMetricNames.overruns, [name])
        unasked = counter(PollerMetricNames.discardedFrames, [name, ("reason", "unasked")])
        mismatched = counter(PollerMetricNames.discardedFrames, [name, ("reason", "mismatched")])
    }

    // MARK: Recording (the poller thread)

    @inline(__always)
    func requestSent(_ kind: RegisterKind) {
        requests[kind.ordinal]?.increment(by: 1)
    }

    @inline(__always)
    func failed(_ kind: PollFailureKind) {
        failures[kind.ordinal].increment(by: 1)
    }

    @inline(__always)
    func requestEnded(afterNanoseconds elapsed: Int64) {
        latency.recordNanoseconds(max(elapsed, 0))
    }
}

/// A swift-metrics counter handler as ``DeviceMetrics`` records into it.
struct CounterHandle: Sendable {
    let handler: any CounterHandler

    init(_ handler: any CounterHandler) { self.handler = handler }

    @inline(__always)
    func increment(by amount: Int) {
        handler.increment(by: Int64(amount))
    }
}

/// What made a poll fail, the `kind` label of `kiln_poll_failures_total`.
public enum PollFailureKind: String, Sendable, CaseIterable {
    /// No reply within the device's response timeout.
    case timeout
    /// A connection attempt failed (refused, unreachable, timed out): no request could be sent.
    case connection
    /// The connection broke, or the device sent something that is not Modbus/TCP.
    case transport
    /// The device answered with a Modbus exception (busy after its retries, illegal address...).
    case exception

    public init(_ error: ModbusError) {
        switch error.kind {
        case .timeout: self = .timeout
        case .connect: self = .connection
        case .transport: self = .transport
        case .exception: self = .exception
        }
    }

    @inline(__always)
    var ordinal: Int {
        switch self {
        case .timeout: 0
        case .connection: 1
        case .transport: 2
        case .exception: 3
        }
    }
}

extension RegisterKind {
    /// The index in `allCases`, without searching it.
    @inline(__always)
    var ordinal: Int {
        switch self {
        case .holding: 0
        case .input: 1
        case .coil: 2
        case .discrete: 3
        }
    }
}
