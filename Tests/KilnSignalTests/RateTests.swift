import KilnCore
import KilnSignal
import KilnTraces
import Testing

/// A rate above `max_rate` that persists is the instrument, not the process: BadSensorFailure.
struct RateTests {
    @Test func aJumpThatPersistsBecomesARateFaultOnTheThirdSample() {
        let values: [Double?] =
            Array(repeating: 50.0, count: 30).enumerated().map { $1 + 0.03 * Double($0 % 3) }
            + Array(repeating: 80.0, count: 3)
        let out = Signal.trace(values).conditioned(by: SyntheticTrace.tag(tau: 60, maxRate: 1, noise: 0.05))
        #expect(Signal.faults(Array(out[30...])) == [.spike, .spike, .rate])
        #expect(out[32].status == .badSensorFailure)
        #expect(out[32].value == nil)
    }

    @Test func aDriftFasterThanMaxRateIsARateFault() {
        for factor in [2.0, 4.0, 8.0] {
            var random = SplitMix64(seed: 31)
            let values: [Double?] = (0..<300).map { i in
                let drift = i < 100 ? 0 : factor * 0.2 * Double(i - 100)
                return 40 + drift + 0.05 * random.gaussian()
            }
            let out = Signal.trace(values).conditioned(by: SyntheticTrace.tag(tau: 60, maxRate: 0.2, noise: 0.05))
            #expect(Signal.firstFault(Array(out[..<100])) == nil)
            let first = out[100...].firstIndex { $0.fault == .rate }
            #expect(first != nil, "drift at \(factor) × max_rate")
            if let first { #expect(first - 100 <= 40, "flagged after \(first - 100) samples") }
        }
    }

    @Test func afterALevelShiftTheFilterReacquiresTheSteadyNewLevel() {
        var random = SplitMix64(seed: 32)
        let values: [Double?] = (0..<60).map { i in (i < 30 ? 50 : 65) + 0.05 * random.gaussian() }
        let out = Signal.trace(values).conditioned(by: SyntheticTrace.tag(tau: 60, maxRate: 0.5, noise: 0.05))
        #expect(out[32].fault == .rate)
        #expect(out[59].fault == .none)
        #expect(abs((out[59].value ?? 0) - 65) < 0.2)
    }
}
