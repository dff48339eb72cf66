import KilnCore
import KilnSignal
import KilnTraces
import Testing

/// Times and values at the edges of their types: the conditioner answers without a trap, never
/// calls a non-finite value Good, and every finite value prints as a number that reads back.
struct ExtremeInputTests {
    static let thermal = SyntheticTrace.tag(tau: 60, maxRate: 0.5, noise: 0.1)

    /// Times further apart than 2⁶³ µs, backwards and repeated (the live gateway can see a
    /// clock step; a trace cannot, but the conditioner does not rely on that).
    @Test func timesAtInt64sEndsDoNotTrap() {
        let times: [Int64] = [.min, .max, .min, 0, .max, .max, -1, .min + 1, .max - 1]
        for tag in [Self.thermal, SyntheticTrace.tag(tau: 60, maxRate: 0.5, noise: 0.1, stuck: 30)] {
            var conditioner = TagConditioner(tag: tag)
            for (i, time) in times.enumerated() {
                let result =
                    i % 3 == 2
                    ? conditioner.missed(at: time)
                    : conditioner.condition(reading: 20 + Double(i % 2), unscaled: nil, at: time)
                if let value = result.value { #expect(value.isFinite) }
                _ = conditioner.isOverdue(at: time)
                _ = conditioner.isPeriodOver(since: .min, at: time)
                _ = conditioner.isPeriodOver(since: .max, at: time)
            }
        }
    }

    /// Readings up to Double's limit, in every order: Good only with a finite value; beyond
    /// ±1e100 a thermal tag withholds the reading.
    @Test func hugeReadingsNeverMakeAGoodNonFiniteValue() {
        let edges: [Double] = [
            20, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e300, -1e300, 1e154, 1e100, -1e100, 1e15,
            .leastNonzeroMagnitude, 0, 21, .nan, .infinity, 20.5,
        ]
        var random = SplitMix64(seed: 9)
        for round in 0..<40 {
            var conditioner = TagConditioner(tag: Self.thermal)
            var time: Int64 = 0
            for _ in 0..<60 {
                time += Int64(random.next() % 4_000_000) + 1
                let reading = round == 0 ? 20 : edges[Int(random.next() % UInt64(edges.count))]
                let result = conditioner.condition(reading: reading, unscaled: nil, at: time)
                if result.status.isGood { #expect(result.value?.isFinite == true, "reading \(reading)") }
                if abs(reading) > TagConditioner.largestThermalReading {
                    #expect(result.status == .badSensorFailure, "reading \(reading)")
                }
            }
        }
    }

    @Test(arguments: [
        Double.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1.797e308, 3.4028235e38, 3.5e38,
        .leastNormalMagnitude / 1024,
        .leastNonzeroMagnitude, 123.456,
    ])
    func finiteValuesPrintFiniteForEveryRegisterType(_ value: Double) throws {
        for (type, scale) in [(DataType.float64, 1.0), (.float32, 1), (.int16, 0.1), (.int32, 0.001), (.uint16, 1)] {
            let tag = TagConfig(name: "t", register: .holding, address: 0, type: type, scale: scale)
            for text in [ValueFormat.text(.double(value), tag: tag), ValueFormat.json(.double(value), tag: tag)] {
                let parsed = try #require(Double(text), "\(type): '\(text)'")
                #expect(parsed.isFinite, "\(type): '\(text)'")
                if type == .float64 { #expect(parsed == value, "\(type): '\(text)'") }
            }
        }
    }

    @Test func nonFiniteValuesAreNullInJSON() {
        let tag = TagConfig(name: "t", register: .holding, address: 0, type: .float64)
        for value in [Double.nan, .infinity, -.infinity] {
            #expect(ValueFormat.json(.double(value), tag: tag) == "null")
        }
    }
}
