/// A point as it stands in for the time after it: stair-step.
struct HeldPoint: Sendable, Hashable {
    var time: Int64
    /// The value, nil when the point has none (nil or NaN).
    var value: Double?
    var status: UInt32

    init(_ point: Point) {
        time = point.time
        value = point.value.flatMap { $0.isNaN ? nil : $0 }
        status = point.status
    }

    /// Linear interpolation at `time` between `self` and a later point; nil unless both have a
    /// value.
    func interpolate(to next: HeldPoint, at time: Int64) -> Double? {
        guard let a = value, let b = next.value else { return nil }
        let fraction = SwingingDoor.span(self.time, time) / SwingingDoor.span(self.time, next.time)
        return a + (b - a) * fraction
    }
}

/// The running sums of one interval of an ``Aggregator``.
struct IntervalAccumulator: Sendable {
    /// The start of the interval's bucket (its label); `start` is later for a clipped bucket.
    let bucket: Int64
    let start: Int64
    let end: Int64
    /// Where the stair-step has been integrated up to.
    private var cursor: Int64
    private var count = 0
    private var sum = 0.0
    private var minimum: Double?
    private var maximum: Double?
    private var first: Double?
    private var last: Double?
    private var weightedSum = 0.0
    private var valuedTime = 0.0
    private var goodTime = 0.0
    private var worst: UInt32?
    /// The point in force at the start (the last one before it), until the interpolation at the
    /// start is settled.
    private var before: HeldPoint?
    private var interpolated: Double?
    private var settled = false

    /// - Parameters:
    ///   - bucket: the start of the interval's bucket.
    ///   - start: the interval's start.
    ///   - end: its end.
    ///   - held: the point in force at the start, if any.
    init(bucket: Int64, start: Int64, end: Int64, held: HeldPoint?) {
        self.bucket = bucket
        self.start = start
        self.end = end
        cursor = start
        before = held
    }

    /// Takes a point inside the interval; `held` is the point in force until it.
    mutating func add(_ point: HeldPoint, after held: HeldPoint?) {
        if let held { integrate(held, to: point.time) }
        if !settled { settle(next: point) }
        if let value = point.value {
            count += 1
            sum += value
            minimum = Swift.min(minimum ?? value, value)
            maximum = Swift.max(maximum ?? value, value)
            if first == nil { first = value }
            last = value
        }
        worst = worst.map { StatusSeverity.worse($0, point.status) } ?? point.status
    }

    /// Closes the interval: `held` stays in force to the end; `next` is the first point after
    /// the start, when the interval had none, for the interpolation.
    mutating func row(held: HeldPoint?, next: HeldPoint?, aggregates: [Aggregate]) -> AggregateRow {
        if let held { integrate(held, to: end) }
        if !settled, let next { settle(next: next) }
        var values: [Aggregate: Double?] = [:]
        for aggregate in aggregates {
            values[aggregate] =
                switch aggregate {
                case .first: first
                case .last: last
                case .min: minimum
                case .max: maximum
                case .avg: count > 0 ? sum / Double(count) : nil
                case .count: Double(count)
                case .twa: valuedTime > 0 ? weightedSum / valuedTime : nil
                case .interpolated: interpolated
                }
        }
        return AggregateRow(
            bucket: bucket, start: start, end: end, values: values, worstStatus: worst ?? StatusSeverity.noData,
            goodFraction: goodTime / SwingingDoor.span(start, end))
    }

    /// The row of an interval no point falls in, with `held` in force throughout.
    static func emptyRow(
        bucket: Int64, start: Int64, end: Int64, held: HeldPoint?, next: HeldPoint?, aggregates: [Aggregate]
    ) -> AggregateRow {
        var interval = IntervalAccumulator(bucket: bucket, start: start, end: end, held: held)
        return interval.row(held: held, next: next, aggregates: aggregates)
    }

    private mutating func integrate(_ held: HeldPoint, to time: Int64) {
        let from = Swift.max(cursor, held.time)
        cursor = time
        guard time > from else { return }
        let duration = SwingingDoor.span(from, time)
        worst = worst.map { StatusSeverity.worse($0, held.status) } ?? held.status
        if StatusSeverity.isGood(held.status) { goodTime += duration }
        if let value = held.value {
            weightedSum += value * duration
            valuedTime += duration
        }
    }

    private mutating func settle(next: HeldPoint) {
        settled = true
        if next.time == start {
            interpolated = next.value
        } else if let before {
            interpolated = before.interpolate(to: next, at: start)
        }
        before = nil
    }
}
