import Testing

@testable import KilnSeries

/// Damaged blocks throw; they never trap or hang.
struct BlockCodecCorruptionTests {
    static func blocks() -> [[UInt8]] {
        var scaled = ThermalTrace()
        scaled.register = .scaled(0.1)
        var filtered = ThermalTrace()
        filtered.filter = 5
        var mixed = ThermalTrace().points(120, seed: 1)
        for i in stride(from: 0, to: mixed.count, by: 7) { mixed[i].value = nil }
        for i in stride(from: 3, to: mixed.count, by: 11) { mixed[i].status = 0x8005_0000 }
        for i in stride(from: 5, to: mixed.count, by: 13) { mixed[i].raw = .nan }
        return [
            BlockCodec.encode(ThermalTrace().points(120, seed: 1)),
            BlockCodec.encode(scaled.points(120, seed: 2)),
            BlockCodec.encode(filtered.points(120, seed: 3)),
            BlockCodec.encode(mixed),
            BlockCodec.encode((0..<120).map { Point(time: Int64($0), value: 1, raw: 1) }),
            BlockCodec.encode([Point(time: 5, value: .nan, raw: -0.0, status: 7)]),
        ]
    }

    @Test func everyTruncationThrows() {
        for block in Self.blocks() {
            for length in 0..<block.count {
                #expect(throws: BlockCodecError.self) { try BlockCodec.decode(block[..<length]) }
            }
        }
    }

    @Test func trailingBytesThrow() throws {
        for block in Self.blocks() {
            let error = #expect(throws: BlockCodecError.self) { try BlockCodec.decode(block + [0]) }
            #expect(error?.code == .trailingData || error?.code == .corrupt)
        }
    }

    @Test func unknownVersionThrows() throws {
        var block = Self.blocks()[0]
        block[0] = 2
        let error = #expect(throws: BlockCodecError.self) { try BlockCodec.decode(block) }
        #expect(error?.code == .unsupportedVersion)
        #expect(error?.description.contains("version 2") == true)
    }

    @Test func impossibleCountsThrow() {
        for header: [UInt8] in [
            [1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            [1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
            [1, 0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0],
            [1, 0x80],
        ] {
            #expect(throws: BlockCodecError.self) { try BlockCodec.decode(header) }
        }
    }

    @Test func everySingleBitFlipDecodesOrThrows() {
        for block in Self.blocks() {
            for bit in 0..<(block.count * 8) {
                var damaged = block
                damaged[bit / 8] ^= 1 << UInt8(bit % 8)
                // Either outcome is fine; trapping or hanging is not.
                _ = try? BlockCodec.decode(damaged)
            }
        }
    }

    @Test func randomBytesDecodeOrThrow() {
        var random = SeededGenerator(seed: 21)
        for _ in 0..<3000 {
            var bytes = (0..<Int.random(in: 0...200, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            if !bytes.isEmpty, Bool.random(using: &random) { bytes[0] = BlockCodec.version }
            if bytes.count > 1, Bool.random(using: &random) { bytes[1] = UInt8.random(in: 0...40, using: &random) }
            _ = try? BlockCodec.decode(bytes)
        }
    }

    @Test func theScaleTableFitsItsFiveBitIndex() {
        #expect(ValueDomain.scales.count == 32)
    }
}
