import Foundation
import KilnCore
import KilnSeries
import KilnTestSupport
import Testing

@testable import KilnHistorian

/// Every aggregate through SQLite (raw rows and compacted blocks), against values computed by hand.
struct AggregateQueryTests {
    let uncertain = StatusCode.uncertainSensorNotAccurate

    /// supply_temp, seconds after `jan1`:
    ///   -30: 10 Good (before the range)  0: 20 Good  15: 30 Good  45: no value, BadTimeout
    ///    60: 40 Good  90: 50 Uncertain  150: 60 Good  200: 100 Good (after the range)
    /// Query: from jan1 to jan1 + 180 s, every 60 s.
    func store(_ path: String) throws {
        func s(_ at: Int64, _ v: Double?, _ status: StatusCode = .good) -> Sample {
            sample(0, jan1 + at * second, v.map(Value.double), status: status)
        }
        try writeThroughWriter(
            path,
            batches: [
                [
                    s(-30, 10), s(0, 20), s(15, 30), s(45, nil, .badTimeout), s(60, 40), s(90, 50, uncertain),
                    s(150, 60),
                ],
                [s(200, 100)],
            ])
    }

    /// The rows by hand (see `store`).
    func expected() -> [(start: Int64, values: [Aggregate: Double?], worst: StatusCode, good: Double)] {
        [
            (
                jan1,
                [
                    .first: 20, .last: 30, .min: 20, .max: 30, .avg: 25, .count: 2,
                    // 20 for 15 s, 30 for 30 s, then 15 s without a value.
                    .twa: (20.0 * 15 + 30 * 30) / 45, .interpolated: 20,
                ],
                .badTimeout, 45.0 / 60
            ),
            (
                jan1 + 60 * second,
                [.first: 40, .last: 50, .min: 40, .max: 50, .avg: 45, .count: 2, .twa: 45, .interpolated: 40],
                uncertain, 30.0 / 60
            ),
            (
                jan1 + 120 * second,
                [
                    .first: 60, .last: 60, .min: 60, .max: 60, .avg: 60, .count: 1,
                    // 50 (Uncertain, carried in) for 30 s, then 60 for 30 s.
                    .twa: 55,
                    // Between 50 at 90 s and 60 at 150 s.
                    .interpolated: 55,
                ],
                uncertain, 30.0 / 60
            ),
        ]
    }

    func check(_ reader: HistoryReader) throws {
        let tag = try reader.tag("boiler-1/supply_temp")
        let rows = try reader.aggregates(
            of: tag, from: jan1, to: jan1 + 180 * second, every: 60 * second, aggregates: Aggregate.allCases)
        let want = expected()
        try #require(rows.count == want.count)
        for (row, w) in zip(rows, want) {
            #expect(row.start == w.start)
            for a in Aggregate.allCases {
                let got = row.values[a] ?? nil
                let exp = w.values[a] ?? nil
                #expect(
                    got != nil && abs(got! - exp!) < 1e-12,
                    "\(a) at \(row.start - jan1)µs: \(String(describing: got)) vs \(exp!)")
            }
            #expect(row.worstStatus == w.worst.rawValue, "worst status at \(row.start - jan1)µs")
            #expect(abs(row.goodFraction - w.good) < 1e-12, "good fraction at \(row.start - jan1)µs")
        }
    }

    @Test func everyAggregateFromRawRows() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("a.db")
        try store(db)
        try check(HistoryReader(path: db))
    }

    @Test func everyAggregateFromCompactedBlocks() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("a.db")
        try store(db)
        let store = try SQLiteStore(path: db)
        let report = try store.maintain(
            now: jan1 + 5 * hour, policy: RetentionPolicy(rawWindow: hour, retention: nil), budget: .seconds(60))
        #expect(report.pointsCompacted == 8)
        #expect(try store.connection.scalar("SELECT count(*) FROM samples") == 0)
        try check(HistoryReader(path: db))
    }

    @Test func anIntervalWithNoDataIsNotGood() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("a.db")
        try writeThroughWriter(db, batches: [[sample(0, jan1 + 90 * second, .double(7))]])
        let reader = try HistoryReader(path: db)
        let rows = try reader.aggregates(
            of: reader.tag("boiler-1/supply_temp"), from: jan1, to: jan1 + 120 * second, every: 60 * second,
            aggregates: [.count, .twa])
        #expect(rows.count == 2)
        #expect(rows[0][.count] == 0)
        #expect(rows[0][.twa] == nil)
        #expect(rows[0].goodFraction == 0)
        #expect(rows[1][.twa] == 7)
        #expect(rows[1].goodFraction == 0.5)
    }
}
