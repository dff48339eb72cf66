import Testing

@testable import KilnSeries

/// Every aggregate against values computed by hand (times in plain microseconds).
struct AggregatorTests {
    static let bad: UInt32 = 0x8005_0000
    static let uncertain: UInt32 = 0x4090_0000

    func p(_ time: Int64, _ value: Double?, _ status: UInt32 = 0) -> Point {
        Point(time: time, value: value, raw: value, status: status)
    }

    func rows(from: Int64, to: Int64, every: Int64, _ points: [Point]) -> [AggregateRow] {
        var aggregator = Aggregator(from: from, to: to, every: every, aggregates: Aggregate.allCases)
        var rows: [AggregateRow] = []
        for point in points {
            aggregator.add(point)
            rows += aggregator.drainCompleted()
        }
        return rows + aggregator.finish()
    }

    func expectRow(
        _ row: AggregateRow, start: Int64, end: Int64, _ expected: [Aggregate: Double?], worst: UInt32, good: Double,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(row.start == start && row.end == end, sourceLocation: sourceLocation)
        for aggregate in Aggregate.allCases {
            let want = expected[aggregate] ?? nil
            #expect(row[aggregate] == want, "\(aggregate) at \(start)", sourceLocation: sourceLocation)
        }
        #expect(row.worstStatus == worst, "worst status at \(start)", sourceLocation: sourceLocation)
        #expect(abs(row.goodFraction - good) < 1e-12, "good fraction at \(start)", sourceLocation: sourceLocation)
    }

    /// A carried-in point, a point on a boundary, a bad gap, an empty interval, mixed statuses,
    /// an interpolation across the boundary and a point after the range.
    @Test func everyAggregateByHand() {
        let rows = rows(
            from: 0, to: 40, every: 10,
            [
                p(-5, 2), p(0, 4), p(4, 6), p(8, nil, Self.bad), p(25, 10, Self.uncertain), p(27, 20), p(33, 30),
                p(45, 50),
            ])
        #expect(rows.count == 4)
        // [0,10): 4@0 (on the boundary, so the carried-in 2 holds for no time), 6@4, bad from 8.
        // twa = (4·4 + 6·4) / 8 = 5; good 8 of 10.
        expectRow(
            rows[0], start: 0, end: 10,
            [.first: 4, .last: 6, .min: 4, .max: 6, .avg: 5, .count: 2, .twa: 5, .interpolated: 4],
            worst: Self.bad, good: 0.8)
        // [10,20): no point; the bad, valueless point at 8 holds throughout.
        expectRow(rows[1], start: 10, end: 20, [.count: 0], worst: Self.bad, good: 0)
        // [20,30): bad until 25, 10 uncertain for 2, 20 good for 3. twa = (10·2 + 20·3) / 5 = 16.
        // interpolated at 20: the point before is valueless → nil.
        expectRow(
            rows[2], start: 20, end: 30, [.first: 10, .last: 20, .min: 10, .max: 20, .avg: 15, .count: 2, .twa: 16],
            worst: Self.bad, good: 0.3)
        // [30,40): 20 carried in for 3, 30 from 33 for 7: twa = (60 + 210) / 10 = 27;
        // interpolated at 30 between 20@27 and 30@33 = 25.
        expectRow(
            rows[3], start: 30, end: 40,
            [.first: 30, .last: 30, .min: 30, .max: 30, .avg: 30, .count: 1, .twa: 27, .interpolated: 25],
            worst: 0, good: 1)
    }

    @Test func emptyIntervalsInterpolateBetweenThePointsAroundThem() {
        let rows = rows(from: 0, to: 30, every: 10, [p(-10, 0), p(40, 40)])
        #expect(rows.count == 3)
        for (k, row) in rows.enumerated() {
            // 0 + 40 · (start + 10) / 50
            let interpolated = Double(k * 10 + 10) * 40 / 50
            expectRow(
                row, start: Int64(k) * 10, end: Int64(k + 1) * 10, [.count: 0, .twa: 0, .interpolated: interpolated],
                worst: 0, good: 1)
        }
    }

    @Test func noDataAtAll() {
        let rows = rows(from: 0, to: 20, every: 10, [])
        #expect(rows.count == 2)
        for row in rows {
            expectRow(row, start: row.start, end: row.start + 10, [.count: 0], worst: 0x809B_0000, good: 0)
        }
    }

    @Test func theLastIntervalIsCutAtTo() {
        let rows = rows(from: 0, to: 25, every: 10, [p(22, 4)])
        #expect(rows.map(\.end) == [10, 20, 25])
        expectRow(rows[0], start: 0, end: 10, [.count: 0], worst: 0x809B_0000, good: 0)
        expectRow(rows[1], start: 10, end: 20, [.count: 0], worst: 0x809B_0000, good: 0)
        // Time before 22 is no data; 4 holds for 3 of 5.
        expectRow(
            rows[2], start: 20, end: 25, [.first: 4, .last: 4, .min: 4, .max: 4, .avg: 4, .count: 1, .twa: 4],
            worst: 0, good: 0.6)
    }

    @Test func aPointOnTheEndBoundaryBelongsToTheNextInterval() {
        let rows = rows(from: 0, to: 20, every: 10, [p(0, 1), p(10, 3), p(15, 5)])
        expectRow(
            rows[0], start: 0, end: 10,
            [.first: 1, .last: 1, .min: 1, .max: 1, .avg: 1, .count: 1, .twa: 1, .interpolated: 1], worst: 0, good: 1)
        expectRow(
            rows[1], start: 10, end: 20,
            [.first: 3, .last: 5, .min: 3, .max: 5, .avg: 4, .count: 2, .twa: 4, .interpolated: 3], worst: 0, good: 1)
    }

    @Test func carriedInStatusCountsForTheWorstAndTheGoodFraction() {
        // Uncertain carried in until 4, then good.
        let rows = rows(from: 0, to: 10, every: 10, [p(-3, 8, Self.uncertain), p(4, 2)])
        // twa = (8·4 + 2·6) / 10 = 4.4; interpolated at 0 between 8@-3 and 2@4 = 8 - 6·3/7.
        expectRow(
            rows[0], start: 0, end: 10,
            [.first: 2, .last: 2, .min: 2, .max: 2, .avg: 2, .count: 1, .twa: 4.4, .interpolated: 8 - 6.0 * 3 / 7],
            worst: Self.uncertain, good: 0.6)
    }

    @Test func nanCountsAsNoValue() {
        let rows = rows(from: 0, to: 10, every: 10, [p(0, 1), p(5, .nan)])
        expectRow(
            rows[0], start: 0, end: 10,
            [.first: 1, .last: 1, .min: 1, .max: 1, .avg: 1, .count: 1, .twa: 1, .interpolated: 1], worst: 0, good: 1)
    }

    @Test func worstStatusOrdersSeverityThenCode() {
        #expect(StatusSeverity.worse(0, Self.uncertain) == Self.uncertain)
        #expect(StatusSeverity.worse(Self.uncertain, Self.bad) == Self.bad)
        #expect(StatusSeverity.worse(0x808C_0000, Self.bad) == 0x808C_0000)
        #expect(StatusSeverity.worse(0xC000_0000, 0x808C_0000) == 0xC000_0000)
        #expect(StatusSeverity.worse(0x0000_0001, 0) == 1)
        #expect(StatusSeverity.worse(0x3FFF_FFFF, Self.uncertain) == Self.uncertain)
    }

    @Test func rowsStreamAsIntervalsComplete() {
        var aggregator = Aggregator(from: 0, to: 100, every: 10, aggregates: [.count])
        aggregator.add(p(1, 1))
        #expect(aggregator.drainCompleted().isEmpty)
        aggregator.add(p(9, 1))
        #expect(aggregator.drainCompleted().isEmpty)
        aggregator.add(p(10, 1))
        #expect(aggregator.drainCompleted().map { $0[.count] } == [2])
        aggregator.add(p(45, 1))
        #expect(aggregator.drainCompleted().map(\.start) == [10, 20, 30])
        #expect(aggregator.finish().map(\.start) == [40, 50, 60, 70, 80, 90])
        #expect(aggregator.finish().isEmpty)
    }

    @Test func aHugeGapIsPulledOneRowAtATime() {
        // A trillion one-microsecond intervals; only the rows pulled are ever built.
        var aggregator = Aggregator(from: 0, to: 1_000_000_000_000, every: 1, aggregates: [.twa])
        #expect(aggregator.intervalCount == 1_000_000_000_000)
        aggregator.add(p(0, 7))
        aggregator.add(p(999_999_999_999, 8))
        var pulled = 0
        while let row = aggregator.nextCompleted(), pulled < 5 {
            #expect(row[.twa] == 7)
            pulled += 1
        }
        #expect(pulled == 5)
    }

    @Test func pointsOutOfOrderBeforeOrPastTheRangeAreHandled() {
        let rows = rows(
            from: 10, to: 20, every: 10,
            [p(1, 100), p(5, 3), p(12, 5), p(11, 999), p(25, 7), p(26, 999), p(30, 999)])
        // 3 carried in from 5 holds [10,12); 5 from 12. twa = (3·2 + 5·8) / 10 = 4.6.
        // interpolated at 10 between 3@5 and 5@12 = 3 + 2·5/7.
        expectRow(
            rows[0], start: 10, end: 20,
            [.first: 5, .last: 5, .min: 5, .max: 5, .avg: 5, .count: 1, .twa: 4.6, .interpolated: 3 + 2.0 * 5 / 7],
            worst: 0, good: 1)
        #expect(rows.count == 1)
    }

    @Test func degenerateRangesHaveNoRows() {
        #expect(Aggregator(from: 10, to: 10, every: 1, aggregates: [.avg]).intervalCount == 0)
        #expect(Aggregator(from: 10, to: 5, every: 1, aggregates: [.avg]).intervalCount == 0)
        #expect(Aggregator(from: 0, to: 5, every: 0, aggregates: [.avg]).intervalCount == 0)
        #expect(Aggregator(from: .min, to: .max, every: .max, aggregates: [.avg]).intervalCount == 3)
        var wide = Aggregator(from: .min, to: .max, every: .max, aggregates: [.count])
        wide.add(p(0, 1))
        let rows = wide.finish()
        // Buckets at multiples of .max since the epoch: the first clipped at .min.
        #expect(rows.map(\.start) == [.min, -.max, 0])
        #expect(rows.map(\.end) == [-.max, 0, .max])
        #expect(rows.map(\.bucket) == [.min, -.max, 0])
        #expect(rows.map { $0[.count] } == [0, 0, 1])
    }

    @Test func onlyTheRequestedAggregatesAreComputed() {
        var aggregator = Aggregator(from: 0, to: 10, every: 10, aggregates: [.max, .twa])
        aggregator.add(p(0, 1))
        let row = aggregator.finish()[0]
        #expect(Set(row.values.keys) == [.max, .twa])
        #expect(row[.avg] == nil)
        #expect(Aggregate(rawValue: "interpolated") == .interpolated)
    }

    @Test func bucketsAreAlignedToTheEpochOrTheOriginAndClippedToTheRange() {
        func shape(_ a: Aggregator) -> [[Int64]] {
            var a = a
            a.add(p(8, 1))
            return a.finish().map { [$0.bucket, $0.start, $0.end] }
        }
        #expect(
            shape(Aggregator(from: 7, to: 37, every: 15, aggregates: [.count]))
                == [[0, 7, 15], [15, 15, 30], [30, 30, 37]])
        #expect(
            shape(Aggregator(from: 7, to: 37, every: 15, origin: 5, aggregates: [.count]))
                == [[5, 7, 20], [20, 20, 35], [35, 35, 37]])
        // An origin far away or negative gives the same phase.
        #expect(
            shape(Aggregator(from: 7, to: 37, every: 15, origin: -10, aggregates: [.count]))
                == shape(Aggregator(from: 7, to: 37, every: 15, origin: 5_000_000_000_000_000, aggregates: [.count])))
        #expect(
            shape(Aggregator(from: -7, to: 8, every: 5, aggregates: [.count]))
                == [[-10, -7, -5], [-5, -5, 0], [0, 0, 5], [5, 5, 8]])
        // A range on boundaries has whole buckets only.
        #expect(shape(Aggregator(from: 0, to: 30, every: 15, aggregates: [.count])) == [[0, 0, 15], [15, 15, 30]])
        // The good fraction of a clipped bucket is over its part inside the range.
        var clipped = Aggregator(from: 5, to: 10, every: 10, aggregates: [.twa])
        clipped.add(p(5, 2))
        let row = clipped.finish()[0]
        #expect(row.bucket == 0 && row.start == 5 && row.goodFraction == 1 && row[.twa] == 2)
    }
}
