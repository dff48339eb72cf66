/// One tag's reading, as the poller hands it downstream.
public struct Sample: Sendable, Hashable {
    /// Index of the device in the gateway config, and of the tag within its device.
    public var device: Int
    public var tag: Int
    /// The engineering value (`raw * scale + offset`); nil when the read failed.
    public var value: Value?
    /// The decoded value before scale and offset.
    public var raw: Value?
    public var status: StatusCode
    /// Why the status is not Good, for operators (`connection refused`, `exception 2: illegal data address`).
    public var reason: String?
    /// Microseconds since the Unix epoch, UTC: when the reply arrived.
    public var timestamp: Int64

    public init(
        device: Int, tag: Int, value: Value?, raw: Value?, status: StatusCode, reason: String? = nil,
        timestamp: Int64
    ) {
        self.device = device
        self.tag = tag
        self.value = value
        self.raw = raw
        self.status = status
        self.reason = reason
        self.timestamp = timestamp
    }
}
