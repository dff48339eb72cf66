/// Aggregates a tag's points over fixed intervals aligned to the clock, streaming: rows come out
/// as intervals complete, and memory stays constant whatever the range (as long as the caller
/// pulls rows one at a time with ``nextCompleted()``).
///
/// Interval boundaries are `origin + k·every` for every integer k (`origin` 0: multiples of
/// `every` since the Unix epoch, as TimescaleDB's `time_bucket` and InfluxDB's `GROUP BY time()`
/// align them), so a rerun over another range gives the same buckets. The range `[from, to)`
/// clips the first and the last bucket: a row covers only the part of its bucket inside the
/// range (``AggregateRow/start`` and ``AggregateRow/end``), and is labelled by the bucket's
/// start (``AggregateRow/bucket``), which may lie before `from`.
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
/// it: a caller marks time with no data (not covered) by a point with no value and a Bad status
/// where that time begins. Time before the first known point is no data: not Good, no value. A
/// point earlier than the one before it is ignored. See ``Aggregate`` and ``AggregateRow`` for
/// each figure.
public struct Aggregator: Sendable {
    /// The range's start (inclusive), microseconds since the epoch.
    public let from: Int64
    /// The range's end (exclusive).
    public let to: Int64
    /// The interval length, microseconds.
    public let every: Int64
    /// A boundary: every boundary is `origin + k·every`.
    public let origin: Int64
    /// The aggregates each row carries.
    public let aggregates: [Aggregate]
    /// How many intervals (rows) the range has.
    public let intervalCount: Int64
    /// The start of the bucket that holds `from`: at or before `from`, later than `from - every`.
    /// Wide, so that it never overflows for a range near the ends of Int64.
    private let firstBoundary: Int128

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
    ///   - origin: a bucket boundary (microseconds since the epoch); 0 aligns buckets to
    ///     multiples of `every` since the epoch.
    ///   - aggregates: the aggregates each row carries.
    public init(from: Int64, to: Int64, every: Int64, origin: Int64 = 0, aggregates: [Aggregate]) {
        self.from = from
        self.to = to
        self.every = every
        self.origin = origin
        self.aggregates = aggregates
        if to > from, every > 0 {
            let step = Int128(every)
            var phase = (Int128(from) - Int128(origin)) % step
            if phase < 0 { phase += step }
            firstBoundary = Int128(from) - phase
            let span = Int128(to) - firstBoundary
            intervalCount = Int64(clamping: (span + step - 1) / step)
        } else {
            firstBoundary = Int128(from)
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
        if current == nil {
            current = IntervalAccumulator(bucket: bucket(index), start: start(index), end: end(index), held: held)
        }
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
                bucket: bucket(first), start: start(first), end: end(first), held: held, next: next,
                aggregates: aggregates)
        }
    }

    /// The rows completed so far, oldest first.
    public mutating func drainCompleted() -> [AggregateRow] {
        var rows: [AggregateRow] = []
        while let row = nextCompleted() { rows.append(row) }
        return rows
    }

    /// Ends the input: every remaining interval completes. Pull the rows with ``nextCompleted()``;
    /// `interpolated` is nil at the boundaries after the last point added.
    public mutating func close() {
        close(before: .max, next: nil)
    }

    /// Completes every remaining interval (no more points) and returns the rows not drained yet,
    /// all at once: for tests and short ranges. Export pulls them with ``close()`` and
    /// ``nextCompleted()`` instead, one at a time.
    public mutating func finish() -> [AggregateRow] {
        close()
        return drainCompleted()
    }

    // MARK: - Intervals

    /// The start of bucket `k`, unclipped, wide.
    private func boundary(_ k: Int64) -> Int128 { firstBoundary + Int128(k) * Int128(every) }

    /// The label of interval `k`: its bucket's start (before `from` for a clipped first bucket).
    private func bucket(_ k: Int64) -> Int64 { Int64(clamping: boundary(k)) }

    /// The start of interval `k`: its bucket's start, or `from` for the first.
    private func start(_ k: Int64) -> Int64 { Swift.max(from, bucket(k)) }

    /// The end of interval `k`: the next bucket's start, or `to` for the last.
    private func end(_ k: Int64) -> Int64 { Int64(clamping: Swift.min(boundary(k + 1), Int128(to))) }

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
                        bucket: bucket(index), start: start(index), end: end(index), held: held, next: next,
                        aggregates: aggregates)))
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
        // end(k) = firstBoundary + (k+1)·every ≤ time  ⇔  k ≤ (time - firstBoundary) / every - 1
        return Int64(clamping: (Int128(time) - firstBoundary) / Int128(every)) - 1
    }
}
