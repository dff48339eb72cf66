import Testing

@testable import KilnSeries

/// Bit-exact round trips, whatever the points.
struct BlockCodecTests {
    func roundTrip(_ points: [Point], grid: BlockCodec.Grid? = nil, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let bytes = BlockCodec.encode(points, grid: grid)
        #expect(bytes.first == BlockCodec.version, sourceLocation: sourceLocation)
        let decoded = try BlockCodec.decode(bytes)
        #expect(decoded.bitwiseEquals(points), sourceLocation: sourceLocation)
    }

    static let specials: [Double] = [
        0, -0.0, .infinity, -.infinity, .nan, -.nan, .signalingNaN, Double(bitPattern: 0x7FF0_0000_0000_0001),
        Double(bitPattern: 0xFFF8_DEAD_BEEF_0001), .leastNonzeroMagnitude, -.leastNormalMagnitude,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1, -1, 0.1, 48.300000000000004,
    ]

    @Test func emptyBlockIsTwoBytes() throws {
        #expect(BlockCodec.encode([Point]()) == [BlockCodec.version, 0])
        #expect(try BlockCodec.decode([BlockCodec.version, 0]) == [])
    }

    @Test func singlePointOfEveryShape() throws {
        for value in [nil] + Self.specials.map(Optional.some) {
            for raw in [nil, value, 3.25, Double.nan] {
                try roundTrip([Point(time: 1_795_000_000_000_000, value: value, raw: raw, status: 0x8005_0000)])
            }
        }
    }

    @Test func specialValuesInEveryColumn() throws {
        var points: [Point] = []
        for (i, v) in Self.specials.enumerated() {
            for (j, r) in Self.specials.enumerated() {
                points.append(Point(time: Int64(i * 100 + j), value: v, raw: r, status: 0))
            }
        }
        try roundTrip(points)
        try roundTrip(points.map { Point(time: $0.time, value: $0.value, raw: nil, status: $0.status) })
        try roundTrip(points.map { Point(time: $0.time, value: nil, raw: $0.raw, status: $0.status) })
    }

    @Test func extremeTimes() throws {
        let times: [Int64] = [.min, .max, 0, .min, -1, 1, .max, .max, -5_000_000_000_000_000, 42, 41, 41]
        try roundTrip(times.map { Point(time: $0, value: 1, raw: 1, status: 0) })
        try roundTrip([Point(time: .min, value: nil, raw: nil, status: 0), Point(time: .max, value: nil, raw: nil)])
        // A regular series with a gap of a day and a period change.
        var regular = (0..<500).map { Point(time: Int64($0) * 1_000_000, value: 5, raw: 5) }
        regular += (0..<500).map { Point(time: 86_400_000_000 + Int64($0) * 250_000, value: 5, raw: 5) }
        try roundTrip(regular)
    }

    @Test func statusesAndShapesChangingEveryPoint() throws {
        var random = SeededGenerator(seed: 11)
        let statuses: [UInt32] = [0, 0x8005_0000, 0x4090_0000, 0xFFFF_FFFF, 0x8005_0000, 0]
        var points: [Point] = []
        for i in 0..<2000 {
            let value: Double? = Bool.random(using: &random) ? Double(i % 7) : nil
            let raw: Double? =
                switch Int.random(in: 0..<3, using: &random) {
                case 0: nil
                case 1: value
                default: Double(i) * 0.1
                }
            let status =
                Int.random(in: 0..<10, using: &random) == 0
                ? UInt32(truncatingIfNeeded: random.next()) : statuses[i / 3 % statuses.count]
            points.append(Point(time: Int64(i) * 1000, value: value, raw: raw, status: status))
        }
        try roundTrip(points)
    }

    @Test func randomBlocks() throws {
        var random = SeededGenerator(seed: 12)
        for round in 0..<200 {
            let count = Int.random(in: 1...300, using: &random)
            var time = Int64.random(in: -1_000_000_000...1_000_000_000, using: &random)
            var points: [Point] = []
            let style = round % 5
            for i in 0..<count {
                time &+= Int64.random(in: -10...2_000_000, using: &random)
                func number() -> Double {
                    switch style {
                    case 0: Double(bitPattern: random.next())
                    case 1: Double(Float(Double(i) * 0.37 + Double.random(in: 0..<1, using: &random)))
                    case 2: Double(Int.random(in: -300...300, using: &random)) * 0.01
                    case 3: Self.specials.randomElement(using: &random)!
                    default: Double(i / 10)
                    }
                }
                let value: Double? = Int.random(in: 0..<20, using: &random) == 0 ? nil : number()
                let raw: Double? = Bool.random(using: &random) ? value : number()
                points.append(Point(time: time, value: value, raw: raw, status: i % 50 == 49 ? 0x8005_0000 : 0))
            }
            try roundTrip(points)
        }
    }

    @Test func thermalSignals() throws {
        try roundTrip(ThermalTrace().points(3000, seed: 1))
        var scaled = ThermalTrace()
        scaled.register = .scaled(0.1)
        try roundTrip(scaled.points(3000, seed: 2))
        try roundTrip(scaled.points(3000, seed: 2), grid: .init(scale: 0.1))
        var filtered = ThermalTrace()
        filtered.filter = 5
        try roundTrip(filtered.points(3000, seed: 3))
    }

    @Test func gridHintWithOffsetAndWrongHints() throws {
        let points = (0..<1000).map { i in
            let v = Double(i % 97 - 40) * 0.1 + -40.0
            return Point(time: Int64(i) * 500_000, value: v, raw: v)
        }
        let hinted = BlockCodec.encode(points, grid: .init(scale: 0.1, offset: -40))
        #expect(try BlockCodec.decode(hinted).bitwiseEquals(points))
        #expect(hinted.count < BlockCodec.encode(points).count)
        try roundTrip(points, grid: .init(scale: 0.3, offset: 1))
        try roundTrip(points, grid: .init(scale: 0, offset: .nan))
        try roundTrip(ThermalTrace().points(500, seed: 4), grid: .init(scale: 0.1))
    }

    @Test(arguments: [
        (ColumnCoder.Mode.grid, false), (.grid, true), (.float32, false), (.float32, true), (.ordered, false),
        (.ordered, true), (.xor, false), (.xor, true), (.runs, false),
    ])
    func everyColumnModeRoundTrips(mode: ColumnCoder.Mode, fromHint: Bool) throws {
        var random = SeededGenerator(seed: 13)
        var values: [UInt64] = []
        var hints: [Double?] = []
        for i in 0..<700 {
            let v = Double(Int.random(in: -500...500, using: &random)) * 0.1
            // On the grid or float32 as the mode needs, with a few exceptions of every kind.
            let value = i % 50 == 7 ? Self.specials[i % Self.specials.count] : mode == .float32 ? Double(Float(v)) : v
            values.append(value.bitPattern)
            hints.append(i % 3 == 0 ? nil : value + 0.05)
        }
        values += Array(repeating: values[0], count: 100)
        hints += Array(repeating: 1, count: 100)
        var writer = BitWriter()
        ColumnCoder.encode(values, hints: hints, grid: nil, to: &writer, forcing: (mode, fromHint))
        var reader = BitReader(writer.finish(), byteOffset: 0)
        #expect(reader.peek() & 7 == mode.rawValue)
        let decoded = try ColumnCoder.decode(count: values.count, hints: hints, from: &reader)
        #expect(decoded == values)
        try reader.expectEnd()
    }

    @Test func rawIsCodedAgainstTheConditionedValueWhenThatIsCheaper() throws {
        // At a steady temperature the conditioned value tracks the noise-free signal, so raw
        // minus value is the noise alone; previous raw minus raw is the noise twice.
        var trace = ThermalTrace()
        trace.low = 50
        trace.high = 50
        trace.filter = 5
        let points = trace.points(2000, seed: 5)
        let both = BlockCodec.encode(points).count
        let valueOnly = BlockCodec.encode(points.map { Point(time: $0.time, value: $0.value, raw: nil) }).count
        let rawOnly = BlockCodec.encode(points.map { Point(time: $0.time, value: nil, raw: $0.raw) }).count
        let timeOnly = BlockCodec.encode(points.map { Point(time: $0.time, value: nil, raw: nil) }).count
        #expect(both - valueOnly < rawOnly - timeOnly)
        // In a transient the filter lags, and the encoder falls back to the previous raw reading.
        trace.low = 20
        trace.high = 82
        let transient = trace.points(2000, seed: 5)
        let rawAlone = BlockCodec.encode(transient.map { Point(time: $0.time, value: nil, raw: $0.raw) }).count
        let times = BlockCodec.encode(transient.map { Point(time: $0.time, value: nil, raw: nil) }).count
        let withValue = BlockCodec.encode(transient).count
        let valueAlone = BlockCodec.encode(transient.map { Point(time: $0.time, value: $0.value, raw: nil) }).count
        #expect(withValue - valueAlone <= rawAlone - times)
    }

    @Test func inputNeedNotBeAnArray() throws {
        let points = ThermalTrace().points(100, seed: 6)
        let bytes = BlockCodec.encode(points[10..<90])
        #expect(try BlockCodec.decode(bytes[...]).bitwiseEquals(Array(points[10..<90])))
    }
}
