import KilnCore
import KilnSignal
import KilnTraces
import Testing

/// A tag's conditioning state is small and flat (the thermal model's boxed, only for tags that
/// have one), its reason texts are made when a sample carries them, and the words are the ones
/// operators always saw.
struct CompactStateTests {
    static let plain: TagConfig = {
        var tag = TagConfig(name: "flow", register: .holding, address: 0, type: .float32)
        tag.conditioning.range = -20...250
        tag.conditioning.sentinels = [-1, 9999]
        return tag
    }()
    static let thermal = SyntheticTrace.tag(tau: 60, maxRate: 0.5, noise: 0.1, stuck: 30, range: 0...100)

    @Test func aTagsInlineStateIsUnder100Bytes() {
        // 20,000 tags in one array: under 2 MB, where it was 12 MB with the thermal state inline.
        #expect(MemoryLayout<TagConditioner>.stride <= 96)
        #expect(!TagConditioner(tag: Self.plain).isThermal)
        #expect(TagConditioner(tag: Self.thermal).isThermal)
    }

    @Test func everyReasonKeepsItsWords() {
        let plain = TagConditioner(tag: Self.plain)
        #expect(plain.text(for: .none) == nil)
        #expect(plain.text(for: .outOfRange) == "out of range [-20, 250]")
        #expect(plain.text(for: .sentinel(1)) == "sentinel value 9999 (no reading)")
        #expect(plain.text(for: .sentinel(7)) == "sentinel value (no reading)")
        #expect(plain.text(for: .notANumber) == "not a number")
        #expect(plain.text(for: .stale) == "no fresh reading for 3 poll periods")
        #expect(plain.text(for: .noReading) == "no reading yet")
        let thermal = TagConditioner(tag: Self.thermal)
        #expect(thermal.text(for: .outOfRange) == "out of range [0, 100]")
        #expect(thermal.text(for: .stuck) == "stuck: no change beyond noise and quantisation for 30s")
        #expect(thermal.text(for: .stuckLong) == "stuck: no change beyond noise and quantisation for twice 30s")
        #expect(thermal.text(for: .spike) == "spike: a step faster than max_rate, rejected")
        #expect(thermal.text(for: .rate) == "rate above max_rate persists")
        let unranged = TagConditioner(tag: TagConfig(name: "t", register: .holding, address: 0, type: .float32))
        #expect(unranged.text(for: .outOfRange) == "out of range [-Infinity, Infinity]")
    }

    @Test func eachTagGetsTheWordsOfItsOwnRange() {
        // Texts are shared between tags by what they say: a tag with another range or sentinel
        // may not borrow the first one's.
        var zero = Self.plain
        zero.conditioning.range = 0...250
        let config = GatewayConfig(
            path: "", devices: [DeviceConfig(name: "a", host: "h", tags: [Self.plain, zero, Self.plain])])
        var conditioner = Conditioner(config: config)
        var batch = (0..<3).map { tag in
            Sample(
                device: 0, tag: tag, value: .double(300), raw: .double(300), unscaled: .double(300),
                status: .good, timestamp: 1_000_000)
        }
        conditioner.condition(&batch)
        #expect(batch.map(\.reason) == ["out of range [-20, 250]", "out of range [0, 250]", "out of range [-20, 250]"])
        #expect(batch.allSatisfy { $0.fault == .range && $0.value == nil })
    }

    @Test func aCopiedThermalTagKeepsItsOwnState() {
        // The thermal state is boxed and copied on write: a copy that moves on alone leaves the
        // original as it was, reading for reading the same as a twin no copy was taken of.
        var original = TagConditioner(tag: Self.thermal)
        var twin = TagConditioner(tag: Self.thermal)
        for t in 0..<20 {
            let reading = 20 + 0.1 * Double(t % 2)
            _ = original.condition(reading: reading, unscaled: nil, at: Int64(t) * 1_000_000)
            _ = twin.condition(reading: reading, unscaled: nil, at: Int64(t) * 1_000_000)
        }
        var copy = original
        for t in 20..<40 { _ = copy.condition(reading: 60, unscaled: nil, at: Int64(t) * 1_000_000) }
        for t in 20..<25 {
            let a = original.condition(reading: 20.2, unscaled: nil, at: Int64(t) * 1_000_000)
            let b = twin.condition(reading: 20.2, unscaled: nil, at: Int64(t) * 1_000_000)
            #expect(a == b)
            #expect(a.status == .good)
        }
        #expect(
            copy.condition(reading: 60, unscaled: nil, at: 40_000_000)
                != twin.condition(reading: 60, unscaled: nil, at: 40_000_000))
    }
}
