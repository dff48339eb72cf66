import KilnCore

/// One reading after conditioning.
public struct ConditionedReading: Sendable, Hashable {
    /// The conditioned value; nil when withheld (bad) or when there has never been one.
    public var value: Double?
    public var status: StatusCode
    public var fault: Fault
    /// For thermal tags: where the reading is heading (the first-order settling value).
    public var projected: Double?
    /// Why the status is not good, for operators.
    public var reason: String?

    public init(
        value: Double?, status: StatusCode, fault: Fault = .none, projected: Double? = nil, reason: String? = nil
    ) {
        self.value = value
        self.status = status
        self.fault = fault
        self.projected = projected
        self.reason = reason
    }
}
