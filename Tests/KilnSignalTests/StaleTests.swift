import KilnCore
import KilnSignal
import KilnTraces
import Testing

/// No fresh sample for three poll periods: UncertainNoCommunicationLastUsableValue. Staleness is
/// about missing samples, not unchanged values.
struct StaleTests {
    @Test func threePeriodsWithoutAFreshReadingIsStale() {
        let values: [Double?] = [20, 20.1, 20.2, nil, nil, nil, nil, nil, 20.6]
        let out = Signal.trace(values).conditioned(by: SyntheticTrace.tag(tau: 60, maxRate: 1, noise: 0.1))
        #expect(Signal.faults(out) == [.none, .none, .none, .none, .none, .stale, .stale, .stale, .none])
        #expect(out[5].status == .uncertainNoCommunicationLastUsableValue)
        #expect(out[6].status == .uncertainNoCommunicationLastUsableValue)
        #expect(out[6].value == out[2].value)
        #expect(out[3].status == .good)
        #expect(out[8].status == .good)
    }

    @Test func nonThermalTagsGoStaleToo() {
        var tag = SyntheticTrace.tag(tau: 1, maxRate: 1, noise: 0)
        tag.conditioning.thermal = nil
        let out = Signal.trace([5, nil, nil, nil, nil]).conditioned(by: tag)
        #expect(out[2].fault == .none)
        #expect(out[3].fault == .stale)
        #expect(out[4].fault == .stale)
        #expect(out[4].value == 5)
    }

    @Test func sparseRowsSlowerThanThePollAreNotStale() {
        // A trace recorded every 60 s against a 1 s poll: each row is a fresh sample.
        let values: [Double?] = (0..<50).map { i in i == 20 ? nil : 20 + 0.1 * Double(i % 4) }
        let tag = SyntheticTrace.tag(tau: 60, maxRate: 1, noise: 0.1, poll: 1)
        let out = Signal.trace(values, interval: 60).conditioned(by: tag)
        #expect(Signal.firstFault(out) == nil)
    }

    @Test func theGatewaySweepReportsTagsThatStoppedArriving() {
        let tag = SyntheticTrace.tag(tau: 60, maxRate: 1, noise: 0.1, poll: 1)
        let config = GatewayConfig(path: "", devices: [DeviceConfig(name: "d", host: "h", tags: [tag, tag])])
        var conditioner = Conditioner(config: config)
        var batch = [0, 1].map {
            Sample(device: 0, tag: $0, value: .double(20), raw: .double(20), status: .good, timestamp: 0)
        }
        conditioner.condition(&batch)
        #expect(conditioner.staleSamples(at: 2 * Signal.second).isEmpty)
        var second = [
            Sample(device: 0, tag: 1, value: .double(20), raw: .double(20), status: .good, timestamp: 2 * Signal.second)
        ]
        conditioner.condition(&second)
        let stale = conditioner.staleSamples(at: 3 * Signal.second)
        #expect(stale.map(\.tag) == [0])
        #expect(stale.first?.status == .uncertainNoCommunicationLastUsableValue)
        #expect(stale.first?.fault == .stale)
        #expect(stale.first?.value == .double(20))
        // Once a poll period, not on every sweep.
        #expect(conditioner.staleSamples(at: 3 * Signal.second + 500_000).isEmpty)
        #expect(conditioner.staleSamples(at: 4 * Signal.second).map(\.tag) == [0])
    }
}
