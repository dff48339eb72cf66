import Hummingbird
import Testing

@testable import KilnServer

/// The history and export query: kiln export's options, bounded, every bad value a 400.
struct HistoryQueryTests {
    static let now: Int64 = 1_796_588_101_000_000

    private func query(_ pairs: [(String, String)], defaultFrom: String? = "-1h", multiple: Bool = false) throws
        -> HistoryQuery
    {
        try HistoryQuery(
            Parameters(pairs.map { (key: Substring($0.0), value: Substring($0.1)) }), now: Self.now,
            defaultFrom: defaultFrom, multipleAggregates: multiple)
    }

    @Test func defaultsAndRelativeTimes() throws {
        let q = try query([])
        #expect(q.from == Self.now - 3_600_000_000 && q.to == Self.now && q.every == nil && q.intervals == 1)
        let b = try query([("from", "2026-12-06T00:00:00Z"), ("to", "2026-12-06T01:00:00Z"), ("every", "1m")])
        #expect(b.every == 60_000_000 && b.aggregates == [.avg] && b.intervals == 61 && b.everyText == "1m")
        let c = try query([("every", "15m"), ("agg", "min,max"), ("offset", "-5m")], multiple: true)
        #expect(c.aggregates == [.min, .max] && c.origin == -300_000_000)
    }

    @Test(arguments: [
        [("from", "yesterday")], [("from", "-1h"), ("to", "-2h")], [("to", "-1h"), ("from", "now")],
        [("every", "0s")], [("every", "-1m")], [("every", "1m"), ("agg", "median")], [("agg", "avg")],
        [("offset", "5m")], [("every", "1m"), ("agg", "min,max")], [("from", "99999-01-01")],
        [("from", "-99999999999999999999w")], [("every", "99999999999999999999d")], [("every", "500us")],
        [("from", "1969-12-31T23:59:59Z")], [("every", "١m")], [("every", "1m"), ("agg", "")],
    ])
    func badValuesAre400(_ pairs: [(String, String)]) {
        #expect(throws: APIError.self) { try query(pairs) }
        do {
            _ = try query(pairs)
        } catch {
            #expect((error as? APIError)?.status == .badRequest)
        }
    }

    @Test func exportNeedsFrom() {
        #expect(throws: APIError.self) { try query([], defaultFrom: nil) }
    }

    @Test func gzipIsTakenUnlessRefused() {
        #expect(API.acceptsGzip("gzip, deflate, br"))
        #expect(API.acceptsGzip("br;q=1.0, gzip;q=0.8"))
        #expect(API.acceptsGzip("*"))
        #expect(!API.acceptsGzip("gzip;q=0"))
        #expect(!API.acceptsGzip("identity"))
        #expect(!API.acceptsGzip(""))
        #expect(API.acceptsGzip("GZip") && API.acceptsGzip(" x-gzip ") && API.acceptsGzip("deflate,\tgzip ; Q=0.5"))
        #expect(!API.acceptsGzip("deflate, gzip ; q=0.000") && !API.acceptsGzip("gzipped") && !API.acceptsGzip(", ;"))
        #expect(API.acceptsGzip("gzip;level=1") && API.acceptsGzip("gzip;q=") && !API.acceptsGzip("identity, *;q=0"))
        #expect(!API.acceptsGzip("gzi") && !API.acceptsGzip("x-gzip;q=0, br"))
    }
}
