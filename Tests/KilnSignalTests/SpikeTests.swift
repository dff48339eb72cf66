import KilnCore
import KilnSignal
import KilnTraces
import Testing

/// A step faster than `max_rate` that the next samples do not confirm: rejected, marked
/// UncertainSensorNotAccurate, the filtered value holds.
struct SpikeTests {
    @Test func spikesAboveMaxRateAreRejectedAndNeverReachTheValue() {
        var random = SplitMix64(seed: 21)
        var injected = 0
        var caught = 0
        for seed in 1...20 as ClosedRange<UInt64> {
            let tau = [30.0, 90, 600][Int(seed) % 3]
            let interval = [0.5, 1, 5][Int(seed) % 3]
            var trace = Signal.stepResponse(
                tau: tau, interval: interval, from: 20, to: 70, taus: 5, noise: 0.1, seed: seed)
            let maxRate = 50 / tau * 1.5
            var spikes: [Int: Double] = [:]
            var i = 15
            while i < trace.points.count - 1 {
                let size = (random.uniform() < 0.5 ? -1 : 1) * (maxRate * interval + 0.6) * (1.5 + 8 * random.uniform())
                trace.points[i].reading! += size
                spikes[i] = size
                i += 25
            }
            let out = trace.conditioned(by: SyntheticTrace.tag(tau: tau, maxRate: maxRate, noise: 0.1, poll: interval))
            for (i, size) in spikes {
                injected += 1
                if out[i].fault == .spike { caught += 1 }
                #expect(out[i].status == .uncertainSensorNotAccurate)
                #expect(out[i].value == out[i - 1].value, "the value holds at the spike")
                #expect(abs((out[i].value ?? .nan) - trace.points[i].clean) < max(0.1 * abs(size), 1))
                #expect(out[i + 1].fault == .none)
            }
            #expect(out.indices.filter { out[$0].fault != .none && spikes[$0] == nil }.isEmpty)
        }
        #expect(caught == injected)
        #expect(injected > 100)
    }

    @Test func aTwoSampleBurstIsTwoSpikesThenGood() {
        var values: [Double?] = (0..<40).map { 50 + 0.01 * Double($0 % 3) }
        values[20] = 90
        values[21] = 91
        let out = Signal.trace(values).conditioned(by: SyntheticTrace.tag(tau: 60, maxRate: 1, noise: 0.05))
        #expect(out[20].fault == .spike)
        #expect(out[21].fault == .spike)
        #expect(out[22].fault == .none)
        #expect(abs((out[21].value ?? 0) - 50) < 0.1)
    }

    @Test func aStepWithinMaxRatePlusNoiseIsNotASpike() {
        var values: [Double?] = Array(repeating: 50, count: 20) + Array(repeating: 50.9, count: 20)
        for i in values.indices { values[i]! += 0.02 * Double(i % 2) }
        let out = Signal.trace(values).conditioned(by: SyntheticTrace.tag(tau: 60, maxRate: 1, noise: 0.05))
        #expect(Signal.firstFault(out) == nil)
    }
}
