import KilnCore
import KilnSignal
import KilnTraces
import Testing

/// The gateway-wide stage: batches of samples from many devices, in place.
struct ConditionerTests {
    static let config: GatewayConfig = {
        let thermal = SyntheticTrace.tag(tau: 60, maxRate: 1, noise: 0.1, range: 0...100)
        var plain = TagConfig(name: "count", register: .holding, address: 4, type: .uint16)
        plain.conditioning.range = 0...1000
        let flag = TagConfig(name: "on", register: .coil, address: 0, type: .bool)
        let name = TagConfig(name: "name", register: .holding, address: 8, type: .string, length: 4)
        return GatewayConfig(
            path: "",
            devices: [
                DeviceConfig(name: "a", host: "h", tags: [thermal, plain]),
                DeviceConfig(name: "b", host: "h", tags: [flag, name, thermal]),
            ])
    }()

    static func sample(_ device: Int, _ tag: Int, _ value: Value?, at seconds: Int64, status: StatusCode = .good)
        -> Sample
    {
        Sample(
            device: device, tag: tag, value: value, raw: value, unscaled: value, status: status,
            reason: status.isBad ? "connection refused" : nil, fault: status.isBad ? .comm : .none,
            timestamp: seconds * Signal.second)
    }

    @Test func eachTagKeepsItsOwnStateAcrossBatches() {
        var conditioner = Conditioner(config: Self.config)
        for t in 0..<30 {
            var batch = [
                Self.sample(0, 0, .double(20 + 0.1 * Double(t % 2)), at: Int64(t)),
                Self.sample(1, 2, .double(70 + 0.1 * Double(t % 2)), at: Int64(t)),
            ]
            conditioner.condition(&batch)
            #expect(abs((batch[0].value?.number ?? 0) - 20.05) < 0.1)
            #expect(abs((batch[1].value?.number ?? 0) - 70.05) < 0.1)
            #expect(batch.allSatisfy { $0.status == .good && $0.projected != nil })
        }
    }

    @Test func rawAndUnscaledStayAsRead() {
        var conditioner = Conditioner(config: Self.config)
        var batch = [Self.sample(0, 0, .double(20), at: 0), Self.sample(0, 0, .double(20.4), at: 1)]
        conditioner.condition(&batch)
        #expect(batch[1].raw == .double(20.4))
        #expect(batch[1].unscaled == .double(20.4))
        #expect(batch[1].value != .double(20.4))
    }

    @Test func communicationFaultsPassThroughAsBad() {
        var conditioner = Conditioner(config: Self.config)
        var batch = [
            Self.sample(0, 0, .double(20), at: 0),
            Self.sample(0, 0, nil, at: 1, status: .badTimeout),
            Self.sample(0, 1, nil, at: 1, status: .badCommunicationError),
        ]
        conditioner.condition(&batch)
        #expect(batch[1].status == .badTimeout)
        #expect(batch[1].fault == .comm)
        #expect(batch[1].reason == "connection refused")
        #expect(batch[1].value == nil)
        #expect(batch[2].status == .badCommunicationError)
    }

    @Test func bitsStringsAndPlainIntegersPassThrough() {
        var conditioner = Conditioner(config: Self.config)
        var batch = [
            Self.sample(1, 0, .bool(true), at: 0), Self.sample(1, 1, .string("KILN"), at: 0),
            Self.sample(0, 1, .uint(42), at: 0), Self.sample(0, 1, .uint(4242), at: 1),
        ]
        conditioner.condition(&batch)
        #expect(batch[0].value == .bool(true))
        #expect(batch[1].value == .string("KILN"))
        #expect(batch[2].value == .uint(42))
        #expect(batch[2].status == .good)
        #expect(batch[3].value == nil)
        #expect(batch[3].fault == .range)
        #expect(batch[3].reason == "out of range [0, 1000]")
    }

    @Test func unknownIndicesAreLeftAlone() {
        var conditioner = Conditioner(config: Self.config)
        var batch = [Self.sample(5, 0, .double(1), at: 0), Self.sample(0, 9, .double(1), at: 0)]
        let before = batch
        conditioner.condition(&batch)
        #expect(batch == before)
    }
}
