/// Aggregates a tag's points over fixed intervals `[from + k·every, from + (k+1)·every)`, the last
/// one cut at `to`, streaming: rows come out as intervals complete, and memory stays constant
/// whatever the range (as long as the caller drains).
///
/// Feed it, in time order:
/// 1. at most one point before `from` — the last stored point before the range. Its value and
///    status are in force from `from` until the first point of the range (stair-step), for
///    `twa`, the worst status and the good fraction, and it is the left neighbour of
///    `interpolated` at `from`. Earlier points before `from` are replaced by later ones.
/// 2. every point in `[from, to)`.
/// 3. at most one point at or after `to` — the first after the range: the right neighbour of
///    `interpolated` at the boundaries after the last point of the range. It closes every
///    interval; points after it are ignored.
///
/// A point's value and status hold until the next point. A point with a nil or NaN value counts
/// for the status and the good fraction, not for the value aggregates, and no value is held after
/// it. Time before the first known point is no data: not Good, no value. A point earlier than the
/// one before it is ignored. See ``Aggregate`` and ``AggregateRow`` for each figure.
public struct Aggregator: Sendable {
    /// The range's start (inclusive), microseconds since the epoch.
    public let from: Int64
    /// The range's end (exclusive).
    public let to: Int64
    /// The interval length, microseconds.
    public let every: Int64
    /// The aggregates each row carries.
    public let aggregates: [Aggregate]
    /// How many intervals (rows) the range has.
    public let intervalCount: Int64

    private enum Pending: Sendable {
        case row(AggregateRow)
        /// Intervals no point falls in, all with `held` in force and `next` after them.
        case empty(first: Int64, last: Int64, held: HeldPoint?, next: HeldPoint?)
    }

    /// The interval points are added to.
    private var index: Int64 = 0
    private var current: IntervalAccumulator?
    private var held: HeldPoint?
    private var lastTime = Int64.min
    private var pending: [Pending] = []
    private var pendingHead = 0

    /// - Parameters:
    ///   - from: the range's start (inclusive), microseconds since the epoch.
    ///   - to: the range's end (exclusive); no rows when not after `from`.
    ///   - every: the interval length in microseconds; no rows unless positive.
    ///   - aggregates: the aggregates each row carries.
    public init(from: Int64, to: Int64, every: Int64, aggregates: [Aggregate]) {
        self.from = from
        self.to = to
        self.every = every
        self.aggregates = aggregates
        if to > from, every > 0 {
            let span = UInt64(bitPattern: to &- from)
            intervalCount = Int64(clamping: span / UInt64(every) + (span % UInt64(every) == 0 ? 0 : 1))
        } else {
            intervalCount = 0
        }
    }

    /// Adds the next point, in time order.
    public mutating func add(_ point: Point) {
        guard point.time >= lastTime, index < intervalCount else { return }
        lastTime = point.time
        let next = HeldPoint(point)
        if point.time < from {
            held = next
            return
        }
        close(before: point.time, next: next)
        guard index < intervalCount else { return }
        if current == nil { current = IntervalAccumulator(start: start(index), end: end(index), held: held) }
        current!.add(next, after: held)
        held = next
    }

    /// The next completed row, or nil when none is complete yet. Pulling rows one at a time keeps
    /// memory constant even across a gap of millions of empty intervals.
    public mutating func nextCompleted() -> AggregateRow? {
        guard pendingHead < pending.count else {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
            return nil
        }
        switch pending[pendingHead] {
        case .row(let row):
            pendingHead += 1
            return row
        case .empty(let first, let last, let held, let next):
            if first == last {
                pendingHead += 1
            } else {
                pending[pendingHead] = .empty(first: first + 1, last: last, held: held, next: next)
            }
            return IntervalAccumulator.emptyRow(
                start: start(first), end: end(first), held: held, next: next, aggregates: aggregates)
        }
    }

    /// The rows completed so far, oldest first.
    public mutating func drainCompleted() -> [AggregateRow] {
        var rows: [AggregateRow] = []
        while let row = nextCompleted() { rows.append(row) }
        return rows
    }

    /// Completes every remaining interval (no more points) and returns the rows not drained yet.
    /// `interpolated` is nil at the boundaries after the last point added.
    public mutating func finish() -> [AggregateRow] {
        close(before: .max, next: nil)
        return drainCompleted()
    }

    // MARK: - Intervals

    /// The start of interval `k` (`from + k·every` fits, being at most `to`).
    private func start(_ k: Int64) -> Int64 { from &+ k &* every }

    /// The end of interval `k`: the next start, or `to` for the last.
    private func end(_ k: Int64) -> Int64 {
        let (next, overflow) = start(k).addingReportingOverflow(every)
        return overflow ? to : Swift.min(next, to)
    }

    /// Completes every interval that ends at or before `time`; `next` is the point at `time`.
    private mutating func close(before time: Int64, next: HeldPoint?) {
        guard index < intervalCount, end(index) <= time else { return }
        if var current {
            pending.append(.row(current.row(held: held, next: next, aggregates: aggregates)))
            self.current = nil
        } else {
            pending.append(
                .row(
                    IntervalAccumulator.emptyRow(
                        start: start(index), end: end(index), held: held, next: next, aggregates: aggregates)))
        }
        index += 1
        // The intervals wholly before `time` hold no point: one pending entry covers them all.
        let first = index
        while index < intervalCount, end(index) <= time {
            index = Swift.min(intervalCount, Swift.max(index + 1, lastEnding(atOrBefore: time) + 1))
        }
        if index > first { pending.append(.empty(first: first, last: index - 1, held: held, next: next)) }
    }

    /// The last interval index whose end is at or before `time`.
    private func lastEnding(atOrBefore time: Int64) -> Int64 {
        if time >= to { return intervalCount - 1 }
        // end(k) = from + (k+1)·every ≤ time  ⇔  k ≤ (time - from) / every - 1
        let span = UInt64(bitPattern: time &- from)
        return Int64(clamping: span / UInt64(every)) - 1
    }
}
