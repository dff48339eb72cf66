import KilnCore

/// One reading after conditioning. A plain value (no references), so returning one per
/// reading costs nothing.
public struct ConditionedReading: Sendable, Hashable {
    /// The conditioned value; nil when withheld (bad) or when there has never been one.
    public var value: Double?
    public var status: StatusCode
    public var fault: Fault
    /// For thermal tags: where the reading is heading (the first-order settling value).
    public var projected: Double?
    /// Why the status is not good; ``TagConditioner/text(for:)`` words it for operators.
    public var reason: ConditioningReason

    public init(
        value: Double?, status: StatusCode, fault: Fault = .none, projected: Double? = nil,
        reason: ConditioningReason = .none
    ) {
        self.value = value
        self.status = status
        self.fault = fault
        self.projected = projected
        self.reason = reason
    }
}

/// Why a conditioned reading is not good.
public enum ConditioningReason: Sendable, Hashable {
    case none
    case notANumber
    /// The unscaled value is the tag's sentinel at this index.
    case sentinel(Int)
    case outOfRange
    /// Beyond ±``TagConditioner/largestThermalReading``: no physical reading, and more than the
    /// thermal filter's arithmetic (squares of differences) can carry.
    case beyondFilterRange
    case spike
    case rate
    case stuck
    /// Stuck for twice the `stuck` time.
    case stuckLong
    case stale
    case noReading
}

extension TagConditioner {
    /// The operator's words for `reason`, nil for none. Made only when asked (where a reading
    /// is printed or stored), from the tag's parameters: no tag keeps its texts.
    public func text(for reason: ConditioningReason) -> String? {
        switch reason {
        case .none: nil
        case .notANumber: "not a number"
        case .sentinel(let i):
            i >= 0 && i < checks.sentinels.count
                ? "sentinel value \(Value.format(checks.sentinels[i])) (no reading)" : "sentinel value (no reading)"
        case .outOfRange: "out of range [\(Value.format(checks.low)), \(Value.format(checks.high))]"
        case .beyondFilterRange: "beyond ±1e100: not a physical reading, the thermal filter cannot take it"
        case .spike: "spike: a step faster than max_rate, rejected"
        case .rate: "rate above max_rate persists"
        case .stuck: "stuck: no change beyond noise and quantisation for \(stuckText)"
        case .stuckLong: "stuck: no change beyond noise and quantisation for twice \(stuckText)"
        case .stale: "no fresh reading for 3 poll periods"
        case .noReading: "no reading yet"
        }
    }

    /// The configured `stuck` time as the reasons word it.
    private var stuckText: String {
        thermalBox?.state.pointee.stuck.map(DurationText.format) ?? "0s"
    }

    /// What `reason`'s words depend on beyond the reason itself, for sharing one text between
    /// the tags that word it alike (see ``Conditioner``); nil for the reasons whose words are
    /// fixed (string literals: nothing to share).
    func textKey(for reason: ConditioningReason) -> ReasonTextKey? {
        switch reason {
        case .sentinel(let i):
            i >= 0 && i < checks.sentinels.count ? .sentinel(checks.sentinels[i].bitPattern) : nil
        case .outOfRange: .range(checks.low.bitPattern, checks.high.bitPattern)
        case .stuck: .stuck(thermalBox?.state.pointee.stuck)
        case .stuckLong: .stuckLong(thermalBox?.state.pointee.stuck)
        default: nil
        }
    }
}

/// A reason with what its words depend on: the same key, the same text. Numbers by their bits,
/// so 0 and -0 (which format apart) stay apart.
enum ReasonTextKey: Hashable, Sendable {
    case sentinel(UInt64)
    case range(UInt64, UInt64)
    case stuck(Duration?)
    case stuckLong(Duration?)
}
