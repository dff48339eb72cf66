import Testing

@testable import KilnSeries

struct BitIOTests {
    @Test func fieldsRoundTripAtEveryWidthAndAlignment() throws {
        var random = SeededGenerator(seed: 7)
        var fields: [(UInt64, Int)] = []
        for _ in 0..<5000 {
            let width = Int.random(in: 0...64, using: &random)
            let value = width == 0 ? 0 : random.next() & (width == 64 ? .max : (1 << UInt64(width)) - 1)
            fields.append((value, width))
        }
        var writer = BitWriter(prefix: [0xAB, 0xCD])
        for (value, width) in fields { writer.write(value | (width < 64 ? 1 << 63 : 0), width) }
        let bytes = writer.finish()
        #expect(bytes.prefix(2) == [0xAB, 0xCD])
        var reader = BitReader(bytes, byteOffset: 2)
        for (value, width) in fields { #expect(try reader.read(width) == value) }
        try reader.expectEnd()
    }

    @Test func readingPastTheEndThrowsTruncated() throws {
        var writer = BitWriter()
        writer.write(0b101, 3)
        let bytes = writer.finish()
        #expect(bytes == [0b101])
        var reader = BitReader(bytes, byteOffset: 0)
        #expect(try reader.read(8) == 0b101)
        #expect(throws: BlockCodecError.self) { try reader.read(1) }
    }

    @Test func riceRoundTripsSmallLargeAndExtremeResiduals() throws {
        var random = SeededGenerator(seed: 8)
        var values: [UInt64] = [0, 1, 2, 3, .max, .max - 1, 1 << 63, 0, 0, 0]
        for _ in 0..<3000 { values.append(random.next() >> UInt64.random(in: 0...63, using: &random)) }
        values += Array(repeating: 5, count: 200) + [1 << 40] + Array(repeating: 5, count: 50)
        for k in [0, 5, 57, 63] {
            var writer = BitWriter()
            var coder = AdaptiveRice(k: k)
            for z in values { writer.writeRice(z, &coder) }
            let bytes = writer.finish()
            var reader = BitReader(bytes, byteOffset: 0)
            var decoder = AdaptiveRice(k: k)
            for z in values { #expect(try reader.readRice(&decoder) == z) }
            try reader.expectEnd()
        }
    }

    @Test func riceCostMatchesWhatIsWritten() {
        let values: [UInt64] = [0, 7, 300, 12, 1 << 50, 3, 3, 3, 90_000]
        var writer = BitWriter()
        var coder = AdaptiveRice(k: 4)
        for z in values { writer.writeRice(z, &coder) }
        #expect(writer.bitCount == AdaptiveRice.bits(values, k: 4))
    }

    @Test func varBitsAndZigzag() throws {
        let values: [UInt64] = [0, 1, 2, 127, 128, .max, 1 << 63]
        var writer = BitWriter()
        for v in values { writer.writeVarBits(v) }
        var reader = BitReader(writer.finish(), byteOffset: 0)
        for v in values { #expect(try reader.readVarBits() == v) }
        for x: Int64 in [0, -1, 1, -2, 2, .min, .max, 123_456_789] { #expect(unzigzag(zigzag(x)) == x) }
        #expect(zigzag(-1) == 1 && zigzag(1) == 2 && zigzag(.min) == .max)
    }

    @Test func xorCodeRoundTripsAndCostsWhatItWrites() throws {
        var random = SeededGenerator(seed: 9)
        var values: [UInt64] = [0, 0, 1, 1 << 63, .max, 0x7FF8_0000_0000_0001]
        for _ in 0..<1000 { values.append(random.next() & (random.next() | random.next())) }
        var writer = BitWriter()
        var encoder = XORCoder()
        var meter = XORCoder()
        var cost = 0
        for x in values {
            cost += meter.cost(x)
            encoder.write(x, to: &writer)
        }
        #expect(writer.bitCount == cost)
        var reader = BitReader(writer.finish(), byteOffset: 0)
        var decoder = XORCoder()
        for x in values { #expect(try decoder.read(from: &reader) == x) }
    }
}
