/// A statistic over one interval of an aggregate query. The raw values are the names `kiln export
/// --agg` takes.
public enum Aggregate: String, CaseIterable, Sendable, Hashable {
    /// The value of the first point in the interval that has one.
    case first
    /// The value of the last point in the interval that has one.
    case last
    /// The smallest value of the interval's points.
    case min
    /// The largest value of the interval's points.
    case max
    /// The arithmetic mean of the interval's values.
    case avg
    /// How many points in the interval have a value.
    case count
    /// The time-weighted average: stair-step, each value held until the next point, the one in
    /// force at the interval's start included; time without a value does not count.
    case twa
    /// The value at the interval's start, interpolated linearly between the points around it.
    case interpolated
}

/// One interval's aggregates, its worst status and how much of it was Good.
public struct AggregateRow: Sendable, Hashable {
    /// The start of the interval's clock-aligned bucket: the row's label. Equal to ``start``
    /// except for a first bucket clipped by the query's `from`, where it is earlier.
    public var bucket: Int64
    /// The interval's start, microseconds since the epoch (inclusive).
    public var start: Int64
    /// The interval's end (exclusive): the next bucket's start, or the query's `to` for the last.
    public var end: Int64
    /// The requested aggregates; nil where the interval has no such value.
    public var values: [Aggregate: Double?]
    /// The worst OPC UA status in force at any time in the interval, the one carried in from
    /// before its start included: Bad over Uncertain over Good, then the numerically largest.
    /// `0x809B0000` (BadNoData) when no point covers any of it, or when time not covered by the
    /// historian (marked by a point with no value and that status) falls in it.
    public var worstStatus: UInt32
    /// The share of the interval's time (0...1) during which the status in force was Good: time
    /// with no data, not covered, counts in the interval but never as Good.
    public var goodFraction: Double

    /// - Parameters:
    ///   - bucket: the start of the interval's bucket; nil for `start`.
    ///   - start: the interval's start (inclusive).
    ///   - end: the interval's end (exclusive).
    ///   - values: the requested aggregates.
    ///   - worstStatus: the worst status in force.
    ///   - goodFraction: the share of Good time.
    public init(
        bucket: Int64? = nil, start: Int64, end: Int64, values: [Aggregate: Double?], worstStatus: UInt32,
        goodFraction: Double
    ) {
        self.bucket = bucket ?? start
        self.start = start
        self.end = end
        self.values = values
        self.worstStatus = worstStatus
        self.goodFraction = goodFraction
    }

    /// One aggregate's value, nil when not requested or when the interval has none.
    public subscript(_ aggregate: Aggregate) -> Double? { values[aggregate] ?? nil }
}
