/// One stored reading of one tag: the unit the historian filters, compacts and aggregates.
///
/// `value` is the conditioned engineering value and `raw` the value as read; either is nil when
/// there is none (a withheld or failed reading). Equality is bitwise on the doubles' meaning as
/// Swift defines it, so two NaNs compare unequal; ``BlockCodec`` nevertheless round-trips every
/// bit pattern, NaN payloads and the sign of zero included.
public struct Point: Sendable, Hashable {
    /// Microseconds since the Unix epoch, UTC.
    public var time: Int64
    /// The conditioned value, or nil when withheld (bad).
    public var value: Double?
    /// The value as read from the device, before conditioning, or nil when there was none.
    public var raw: Double?
    /// The OPC UA StatusCode (OPC 10000-4 §7.39); the top two bits give the severity.
    public var status: UInt32

    /// - Parameters:
    ///   - time: microseconds since the Unix epoch, UTC.
    ///   - value: the conditioned value, nil when withheld.
    ///   - raw: the value as read, nil when there was none.
    ///   - status: the OPC UA StatusCode; 0 is Good.
    public init(time: Int64, value: Double?, raw: Double?, status: UInt32 = 0) {
        self.time = time
        self.value = value
        self.raw = raw
        self.status = status
    }
}
