import Testing

@testable import KilnCore

struct DecodingTests {
    func tag(
        _ type: DataType, _ order: ByteOrder = .abcd, scale: Double = 1, offset: Double = 0, bit: Int? = nil,
        length: Int? = nil
    ) -> TagConfig {
        TagConfig(
            name: "t", register: .holding, address: 0, type: type, byteOrder: order, bit: bit, length: length,
            scale: scale, offset: offset)
    }

    /// 0x41AC0000 is 21.5 as a float32: bytes A=41 B=AC C=00 D=00.
    @Test(arguments: [
        (ByteOrder.abcd, [UInt16(0x41AC), 0x0000]),
        (.cdab, [0x0000, 0x41AC]),
        (.badc, [0xAC41, 0x0000]),
        (.dcba, [0x0000, 0xAC41]),
    ])
    func float32InEveryOrder(order: ByteOrder, words: [UInt16]) {
        #expect(Decoding.decode(words: words, tag: tag(.float32, order)) == .double(21.5))
        #expect(Decoding.encode(.double(21.5), tag: tag(.float32, order)) == words)
    }

    /// 0x0102030405060708 in the contract's four 64-bit layouts.
    @Test(arguments: [
        (ByteOrder.abcd, [UInt16(0x0102), 0x0304, 0x0506, 0x0708]),
        (.cdab, [0x0708, 0x0506, 0x0304, 0x0102]),
        (.badc, [0x0201, 0x0403, 0x0605, 0x0807]),
        (.dcba, [0x0807, 0x0605, 0x0403, 0x0201]),
    ])
    func sixtyFourBitLayouts(order: ByteOrder, words: [UInt16]) {
        #expect(Decoding.decode(words: words, tag: tag(.uint64, order)) == .uint(0x0102_0304_0506_0708))
        #expect(Decoding.encode(.uint(0x0102_0304_0506_0708), tag: tag(.uint64, order)) == words)
    }

    @Test func eightLetterNamesAreSynonyms() {
        #expect(ByteOrder(name: "ABCDEFGH") == .abcd)
        #expect(ByteOrder(name: "GHEFCDAB") == .cdab)
        #expect(ByteOrder(name: "BADCFEHG") == .badc)
        #expect(ByteOrder(name: "HGFEDCBA") == .dcba)
        #expect(ByteOrder(name: "cdab") == .cdab)
        #expect(ByteOrder(name: "ACBD") == nil)
    }

    @Test func signedAndUnsignedIntegers() {
        #expect(Decoding.decode(words: [0xFFFF], tag: tag(.int16)) == .int(-1))
        #expect(Decoding.decode(words: [0xFFFF], tag: tag(.uint16)) == .uint(65535))
        #expect(Decoding.decode(words: [0xFFFF, 0xFFFE], tag: tag(.int32)) == .int(-2))
        #expect(Decoding.decode(words: [0xFFFE, 0xFFFF], tag: tag(.int32, .cdab)) == .int(-2))
        #expect(Decoding.decode(words: [0x8000, 0, 0, 0], tag: tag(.int64)) == .int(Int64.min))
        #expect(Decoding.decode(words: [0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF], tag: tag(.uint64)) == .uint(UInt64.max))
        #expect(Decoding.decode(words: [0x0001, 0x0000], tag: tag(.uint32)) == .uint(65536))
    }

    @Test func float64() {
        let words = Decoding.encode(.double(-1234.5678), tag: tag(.float64, .dcba))
        #expect(Decoding.decode(words: words, tag: tag(.float64, .dcba)) == .double(-1234.5678))
        #expect(Decoding.decode(words: [0x4035, 0x8000, 0, 0], tag: tag(.float64)) == .double(21.5))
    }

    @Test func scaleAndOffset() {
        let t = tag(.int16, scale: 0.1, offset: -40)
        #expect(Decoding.decode(words: [615], tag: t).number! == 615 * 0.1 - 40)
        #expect(Decoding.raw(words: [615], tag: t) == .int(615))
        #expect(Decoding.encode(.double(21.5), tag: t) == [615])
        #expect(ValueFormat.text(Decoding.decode(words: [615], tag: t), tag: t) == "21.5")
    }

    @Test func boolBitsInsideARegister() {
        let word: UInt16 = 0b1000_0000_0000_1001
        #expect(Decoding.decode(words: [word], tag: tag(.bool, bit: 0)) == .bool(true))
        #expect(Decoding.decode(words: [word], tag: tag(.bool, bit: 1)) == .bool(false))
        #expect(Decoding.decode(words: [word], tag: tag(.bool, bit: 3)) == .bool(true))
        #expect(Decoding.decode(words: [word], tag: tag(.bool, bit: 15)) == .bool(true))
        #expect(Decoding.encode(.bool(true), tag: tag(.bool, bit: 2), current: word) == [word | 0b100])
        #expect(Decoding.encode(.bool(false), tag: tag(.bool, bit: 0), current: word) == [word & ~1])
    }

    @Test func stringsAreHighByteFirst() {
        let t = tag(.string, length: 4)
        #expect(Decoding.decode(words: [0x4B49, 0x4C4E, 0x2D31, 0x0000], tag: t) == .string("KILN-1"))
        #expect(Decoding.encode(.string("KILN-1"), tag: t) == [0x4B49, 0x4C4E, 0x2D31, 0x0000])
        #expect(Decoding.decode(words: [0x4142, 0x2020], tag: tag(.string, length: 2)) == .string("AB"))
    }

    @Test func float32FormatsShortest() {
        let t = tag(.float32)
        let value = Decoding.decode(words: Decoding.encode(.double(0.1), tag: t), tag: t)
        #expect(ValueFormat.text(value, tag: t) == "0.1")
        #expect(ValueFormat.json(.double(.nan), tag: t) == "null")
    }

    @Test func aFloat32sTextIsItsShortestDecimalEverywhere() {
        // The fast path (Float's own text) against the long way round (Float's text, read back
        // as a Double and written as Value.format writes it), over magnitudes from 1e-8 to 1e12.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var scale = 1e-8
        while scale < 1e12 {
            for _ in 0..<2_500 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let mantissa = 1 + 9 * Double(state >> 11) / Double(1 << 53)
                let d = (state & 1 == 0 ? 1 : -1) * mantissa * scale
                #expect(ValueFormat.float32(d) == Value.format(Double(Float(d).description) ?? d), "\(d)")
            }
            scale *= 10
        }
        for d in [0.0, -0.0, 1, 21, 16_777_216, 16_777_217, 1e-4, 0.1, 20.1398, -40, 1e20, 3.4e38] {
            #expect(ValueFormat.float32(d) == Value.format(Double(Float(d).description) ?? d), "\(d)")
        }
    }

    @Test func saturatingEncode() {
        #expect(Decoding.encode(.double(1e9), tag: tag(.int16)) == [0x7FFF])
        #expect(Decoding.encode(.double(-5), tag: tag(.uint16)) == [0])
    }
}
