/// One tag's reading, as the poller hands it downstream.
///
/// The poller fills `raw` and `unscaled` and sets `value` equal to `raw`; the conditioning stage
/// (issue 3) replaces `value` with the conditioned value, sets `status`, `fault` and
/// `projected`, and leaves `raw` for later stages (the historian stores both).
public struct Sample: Sendable, Hashable {
    /// Index of the device in the gateway config, and of the tag within its device.
    public var device: Int
    public var tag: Int
    /// The value downstream stages use: the engineering value, conditioned once conditioning
    /// has run; nil when withheld (bad).
    public var value: Value?
    /// The engineering value as read (`unscaled * scale + offset`), before conditioning.
    public var raw: Value?
    /// The decoded register value before scale and offset (sentinels are matched against it).
    public var unscaled: Value?
    public var status: StatusCode
    /// Why the status is not Good, for operators (`connection refused`, `exception 2: illegal data address`).
    public var reason: String?
    /// The fault class the conditioner gave the sample.
    public var fault: Fault
    /// For tags with a thermal model: where the value is heading (first-order settling value).
    public var projected: Double?
    /// Microseconds since the Unix epoch, UTC: when the reply arrived.
    public var timestamp: Int64

    @inlinable
    public init(
        device: Int, tag: Int, value: Value?, raw: Value?, unscaled: Value? = nil, status: StatusCode,
        reason: String? = nil, fault: Fault = .none, projected: Double? = nil, timestamp: Int64
    ) {
        self.device = device
        self.tag = tag
        self.value = value
        self.raw = raw
        self.unscaled = unscaled
        self.status = status
        self.reason = reason
        self.fault = fault
        self.projected = projected
        self.timestamp = timestamp
    }
}

/// Why a sample cannot be fully trusted, as the conditioner classifies it.
public enum Fault: String, Sendable, Hashable, CaseIterable {
    case none
    /// Communication: timeout, refused, Modbus exception.
    case comm
    /// Out of the instrument's range, or a sentinel value.
    case range
    /// A step faster than `max_rate` that the next samples do not confirm.
    case spike
    /// A rate above `max_rate` that persists: the instrument, not the process.
    case rate
    /// No change beyond noise and quantisation for `stuck`.
    case stuck
    /// No fresh sample for three poll periods.
    case stale
}
