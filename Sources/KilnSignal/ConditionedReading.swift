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

/// The words for a tag's reasons, built once per tag.
final class ReasonTexts: Sendable {
    let range: String
    /// All the tag's sentinels (the parameters hold the first four inline).
    let sentinelValues: [Double]
    let sentinels: [String]
    let stuck: String
    let stuckLong: String

    init(tag: TagConfig) {
        let range = tag.conditioning.range
        self.range =
            "out of range [\(Value.format(range?.lowerBound ?? -.infinity)), "
            + "\(Value.format(range?.upperBound ?? .infinity))]"
        sentinelValues = tag.conditioning.sentinels
        sentinels = tag.conditioning.sentinels.map { "sentinel value \(Value.format($0)) (no reading)" }
        let stuck = tag.conditioning.stuck.map(DurationText.format) ?? "0s"
        self.stuck = "stuck: no change beyond noise and quantisation for \(stuck)"
        stuckLong = "stuck: no change beyond noise and quantisation for twice \(stuck)"
    }

    func text(for reason: ConditioningReason) -> String? {
        switch reason {
        case .none: nil
        case .notANumber: "not a number"
        case .sentinel(let i): i < sentinels.count ? sentinels[i] : "sentinel value (no reading)"
        case .outOfRange: range
        case .beyondFilterRange: "beyond ±1e100: not a physical reading, the thermal filter cannot take it"
        case .spike: "spike: a step faster than max_rate, rejected"
        case .rate: "rate above max_rate persists"
        case .stuck: stuck
        case .stuckLong: stuckLong
        case .stale: "no fresh reading for 3 poll periods"
        case .noReading: "no reading yet"
        }
    }
}
