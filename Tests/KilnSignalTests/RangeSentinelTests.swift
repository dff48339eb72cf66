import KilnCore
import KilnSignal
import KilnTraces
import Testing

/// Out of range or a sentinel: BadSensorFailure with the value withheld, from the first sample on.
struct RangeSentinelTests {
    @Test func theFirstSampleOutOfRangeIsFlagged() {
        for value in [151.0, -40.5, 1e9] {
            let tag = SyntheticTrace.tag(tau: 60, maxRate: 1, noise: 0.1, range: -40...150)
            let out = Signal.trace([value, 20]).conditioned(by: tag)
            #expect(out[0].fault == .range)
            #expect(out[0].status == .badSensorFailure)
            #expect(out[0].value == nil)
            #expect(out[1].fault == .none)
            #expect(out[1].value == 20)
        }
    }

    @Test func theBoundsThemselvesAreInRange() {
        let tag = SyntheticTrace.tag(tau: 60, maxRate: 1000, noise: 0.1, range: -40...150)
        #expect(Signal.firstFault(Signal.trace([-40, -40, 150]).conditioned(by: tag)) == nil)
    }

    @Test func sentinelsMatchTheUnscaledRegisterValue() {
        // int16 scaled by 0.1: 32767 reads 3276.7, -32768 reads -3276.8; 3276.6 is no sentinel.
        let tag = SyntheticTrace.tag(tau: 60, maxRate: 1e5, noise: 0.1, quantum: 0.1, sentinels: [32767, -32768])
        let out = Signal.trace([3276.7, 20, -3276.8, 3276.6]).conditioned(by: tag)
        #expect(Signal.faults(out) == [.range, .none, .range, .none])
        #expect(out[0].value == nil)
        var conditioner = TagConditioner(tag: tag)
        let first = conditioner.condition(reading: 3276.7, unscaled: 32767, at: 0)
        #expect(conditioner.text(for: first.reason) == "sentinel value 32767 (no reading)")
    }

    @Test func moreThanFourSentinelsAllCount() {
        let tag = SyntheticTrace.tag(tau: 60, maxRate: 1e5, noise: 0.1, sentinels: [1, 2, 3, 4, 5, 6])
        let out = Signal.trace([6, 20, 5, 7]).conditioned(by: tag)
        #expect(Signal.faults(out) == [.range, .none, .range, .none])
    }

    @Test func notANumberIsASensorFailure() {
        let out = Signal.trace([.nan, 20, .infinity]).conditioned(
            by: SyntheticTrace.tag(tau: 60, maxRate: 1, noise: 0.1))
        #expect(Signal.faults(out) == [.range, .none, .range])
    }

    @Test func tagsWithoutThermalStillGetRangeAndSentinels() {
        var tag = SyntheticTrace.tag(tau: 1, maxRate: 1, noise: 0, quantum: 0.5, range: 0...100, sentinels: [-1])
        tag.conditioning.thermal = nil
        let out = Signal.trace([-0.5, 50, 101, 99.5]).conditioned(by: tag)
        #expect(Signal.faults(out) == [.range, .none, .range, .none])
        #expect(out.map(\.value) == [nil, 50, nil, 99.5])
    }

    @Test func rangeFaultsDoNotDisturbTheFilter() {
        var values: [Double?] = (0..<40).map { 50 + 0.05 * Double($0 % 2) }
        values[20] = 500
        let tag = SyntheticTrace.tag(tau: 60, maxRate: 1, noise: 0.05, range: 0...200)
        let out = Signal.trace(values).conditioned(by: tag)
        #expect(out[20].fault == .range)
        #expect(abs((out[21].value ?? 0) - 50.03) < 0.05)
    }
}
