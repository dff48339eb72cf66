import Testing

@testable import KilnSeries

/// Hand-traced cases of exception and swinging-door filtering.
struct ExceptionFilterTests {
    func p(_ time: Int64, _ value: Double?, status: UInt32 = 0) -> Point {
        Point(time: time, value: value, raw: value, status: status)
    }

    /// Offers every point and flushes; returns what each offer returned and the flush.
    func run(_ filter: inout ExceptionFilter, _ points: [Point]) -> (offers: [[Point]], flushed: [Point]) {
        (points.map { filter.offer($0) }, filter.flush())
    }

    @Test func losslessStoresEveryPointAtOnce() {
        var filter = ExceptionFilter(deadband: nil, compression: nil, maxInterval: 5)
        #expect(filter.isLossless)
        let points = [p(0, 1), p(1, 1), p(1, nil), p(0, .nan, status: 9)]
        let (offers, flushed) = run(&filter, points)
        #expect(offers.map(\.count) == [1, 1, 1, 1])
        #expect(offers.flatMap { $0 }.bitwiseEquals(points))
        #expect(flushed.isEmpty)
    }

    @Test func deadbandHoldsSmallChangesAndStoresTheStep() {
        // Traced: doors after 0.2@1: [-0.3, 0.7]; after -0.3@2: [-0.3, 0.1]; after 0.1@3:
        // [-0.1333, 0.1]; 2.0@4 needs slope 0.5 > 0.1, so 0.1@3 is stored and 2.0@4 held.
        var filter = ExceptionFilter(deadband: 0.5, compression: nil, maxInterval: nil)
        let (offers, flushed) = run(&filter, [p(0, 0), p(1, 0.2), p(2, -0.3), p(3, 0.1), p(4, 2)])
        #expect(offers == [[p(0, 0)], [], [], [], [p(3, 0.1)]])
        #expect(flushed == [p(4, 2)])
    }

    @Test func compressionDropsARampAndKeepsItsCorners() {
        var filter = ExceptionFilter(deadband: nil, compression: 0.1, maxInterval: nil)
        var stored: [Point] = []
        for t in Int64(0)...20 { stored += filter.offer(p(t * 1_000_000, Double(t <= 10 ? t : 20 - t))) }
        stored += filter.flush()
        #expect(stored == [p(0, 0), p(10_000_000, 10), p(20_000_000, 0)])
    }

    @Test func statusChangeStoresLastOfOldAndFirstOfNew() {
        var filter = ExceptionFilter(deadband: 1, compression: 1, maxInterval: nil)
        let bad: UInt32 = 0x8005_0000
        let (offers, flushed) = run(
            &filter,
            [p(0, 1), p(1, 1), p(2, 1), p(3, 1), p(4, nil, status: bad), p(5, nil, status: bad), p(6, 1), p(7, 1)])
        #expect(offers[1...3].allSatisfy { $0.isEmpty })
        #expect(offers[4] == [p(3, 1), p(4, nil, status: bad)])
        #expect(offers[5].isEmpty)
        #expect(offers[6] == [p(5, nil, status: bad), p(6, 1)])
        #expect(flushed == [p(7, 1)])
    }

    @Test func maxIntervalBoundsTheGapBetweenStoredPoints() {
        var filter = ExceptionFilter(deadband: 1, compression: 1, maxInterval: 10_000_000)
        var stored: [Point] = []
        for t in Int64(0)...35 { stored += filter.offer(p(t * 1_000_000, 5)) }
        stored += filter.flush()
        #expect(stored.map(\.time) == [0, 10, 20, 30, 35].map { $0 * 1_000_000 })
    }

    @Test func nilAndNonFiniteRunsKeepTheirEnds() {
        var filter = ExceptionFilter(deadband: nil, compression: 10, maxInterval: nil)
        let points = [
            p(0, 1), p(1, 1), p(2, nil), p(3, nil), p(4, nil), p(5, .infinity), p(6, .infinity), p(7, .nan), p(8, 1),
            p(9, 1),
        ]
        var stored = points.flatMap { filter.offer($0) }
        stored += filter.flush()
        #expect(
            stored.bitwiseEquals([
                p(0, 1), p(1, 1), p(2, nil), p(4, nil), p(5, .infinity), p(6, .infinity), p(7, .nan), p(8, 1), p(9, 1),
            ]))
    }

    @Test func timeThatDoesNotAdvanceIsStored() {
        var filter = ExceptionFilter(deadband: 5, compression: 5, maxInterval: nil)
        let (offers, flushed) = run(&filter, [p(0, 1), p(1, 1), p(1, 2), p(0, 3), p(2, 3)])
        #expect(offers == [[p(0, 1)], [], [p(1, 1), p(1, 2)], [p(0, 3)], []])
        #expect(flushed == [p(2, 3)])
    }

    @Test func pendingShowsTheHeldPoint() {
        var filter = ExceptionFilter(deadband: 1, compression: nil, maxInterval: nil)
        #expect(filter.pending == nil)
        _ = filter.offer(p(0, 1))
        #expect(filter.pending == nil)
        _ = filter.offer(p(1, 1.5))
        #expect(filter.pending == p(1, 1.5))
        #expect(filter.flush() == [p(1, 1.5)])
        #expect(filter.pending == nil)
        #expect(filter.flush() == [])
    }

    @Test func offerIntoAppends() {
        var filter = ExceptionFilter(deadband: nil, compression: nil, maxInterval: nil)
        var stored: [Point] = []
        stored.reserveCapacity(4)
        for t in Int64(0)..<4 { filter.offer(p(t, 1), into: &stored) }
        #expect(stored.count == 4)
    }
}
