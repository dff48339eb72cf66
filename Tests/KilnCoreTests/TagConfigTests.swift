import Testing

@testable import KilnCore

/// `TagConfig` keeps its rarely set options in a shared box (TagConfig.swift): the properties must
/// still read, write, compare and hash as plain stored values.
struct TagConfigTests {
    func plain(_ name: String = "t") -> TagConfig {
        TagConfig(name: name, register: .holding, address: 10, type: .float32)
    }

    @Test func tagsWithoutOptionsShareOneBox() {
        let a = plain("a")
        let b = plain("b")
        // The box reference is the only pointer in the tag besides the name's storage.
        #expect(a.optionsIdentity == b.optionsIdentity)
        var c = plain("c")
        c.unit = "degC"
        #expect(c.optionsIdentity != a.optionsIdentity)
        c.unit = nil
        #expect(c.optionsIdentity == a.optionsIdentity)
    }

    @Test func writesReachOnlyTheTagWritten() {
        let original = plain()
        var copy = original
        copy.conditioning.range = 0...100
        copy.conditioning.sentinels = [-9999]
        copy.bit = 3
        copy.length = 4
        copy.historian = TagHistorianConfig(deadband: 0.5)
        copy.simulation = TagSimulation(value: 1, tau: .seconds(1), noise: 0)
        #expect(original.conditioning.range == nil)
        #expect(original.conditioning.sentinels.isEmpty)
        #expect(original.bit == nil && original.length == nil && original.historian == nil)
        #expect(original.simulation == nil)
        #expect(copy.conditioning.range == 0...100)
        #expect(copy.conditioning.sentinels == [-9999])
        #expect(copy.bit == 3 && copy.length == 4 && copy.historian?.deadband == 0.5)
        #expect(copy.simulation?.value == 1)
        #expect(copy != original)
    }

    @Test func equalOptionsInDifferentBoxesAreEqual() {
        var a = plain()
        var b = plain()
        a.conditioning.stuck = .seconds(30)
        b.conditioning.stuck = .seconds(30)
        #expect(a.optionsIdentity != b.optionsIdentity)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(Set([a, b]).count == 1)
        b.conditioning.stuck = .seconds(31)
        #expect(a != b)
    }

    @Test func initialiserArgumentsRoundTrip() {
        let tag = TagConfig(
            name: "s", register: .input, address: 7, type: .string, byteOrder: .cdab, bit: nil, length: 5,
            scale: 2, offset: -1, unit: "m", poll: .milliseconds(250),
            conditioning: ConditioningConfig(range: -1...1, stuck: .seconds(5)),
            historian: TagHistorianConfig(compression: 0.1))
        #expect(tag.name == "s" && tag.register == .input && tag.address == 7 && tag.type == .string)
        #expect(tag.byteOrder == .cdab && tag.length == 5 && tag.count == 5 && tag.endAddress == 11)
        #expect(tag.scale == 2 && tag.offset == -1 && tag.unit == "m" && tag.poll == .milliseconds(250))
        #expect(tag.conditioning.range == -1...1 && tag.conditioning.stuck == .seconds(5))
        #expect(tag.historian?.compression == 0.1)
    }

    /// 20,000 of these live for a gateway's whole life at 1,000 devices x 20 tags
    /// (tools/bench/memory.sh): a field added inline instead of in the options box shows here.
    @Test func layoutStaysCompact() {
        #expect(MemoryLayout<TagConfig>.stride <= 104)
        #expect(MemoryLayout<TagDecoder>.stride <= 24)
    }

    @Test func decoderKeepsModbusWidths() {
        var tag = plain()
        tag.address = 65_535
        tag.register = .holding
        tag.type = .bool
        tag.bit = 15
        let decoder = TagDecoder(tag)
        #expect(decoder.address == 65_535 && decoder.bit == 15 && decoder.count == 1)
        let words: [UInt16] = [0x8000]
        #expect(words.withUnsafeBufferPointer { decoder.raw($0) } == .bool(true))
    }
}

extension TagConfig {
    /// Which options box the tag points at (tests only).
    fileprivate var optionsIdentity: ObjectIdentifier { optionsBoxIdentity }
}
