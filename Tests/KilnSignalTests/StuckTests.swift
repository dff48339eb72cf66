import KilnCore
import KilnSignal
import KilnTraces
import Testing

/// No change beyond noise and quantisation for `stuck`, while readings before it moved:
/// UncertainLastUsableValue, then BadSensorFailure after twice as long.
struct StuckTests {
    /// A noisy approach whose reading freezes at `freeze` seconds.
    static func frozen(
        tau: Double, interval: Double, freeze: Double, noise: Double, quantum: Double = 0, seed: UInt64 = 41
    ) -> SyntheticTrace {
        var trace = Signal.stepResponse(
            tau: tau, interval: interval, from: 20, to: 60, taus: (freeze + 1500) / tau, noise: noise, quantum: quantum,
            seed: seed)
        let start = trace.points.firstIndex { $0.seconds >= freeze }!
        let held = trace.points[start].reading
        for i in start..<trace.points.count { trace.points[i].reading = held }
        return trace
    }

    @Test(arguments: [(90.0, 1.0, 0.1), (600, 5, 0.05), (30, 0.5, 0.3), (1800, 15, 0.05), (60, 60, 0.2)])
    func aFrozenReadingIsFlaggedWithinOnePointTwoStuck(tau: Double, interval: Double, noise: Double) {
        let stuck = 600.0
        let freeze = 2 * tau + 100
        let trace = Self.frozen(tau: tau, interval: interval, freeze: freeze, noise: noise)
        let out = trace.conditioned(
            by: SyntheticTrace.tag(tau: tau, maxRate: 40 / tau, noise: noise, poll: interval, stuck: stuck))
        let first = try! #require(Signal.firstFault(out))
        #expect(first.fault == .stuck)
        let delay = trace.points[first.index].seconds - freeze
        #expect(delay >= stuck - interval && delay <= 1.2 * stuck, "flagged \(delay) s after the freeze")
        #expect(out[first.index].status == .uncertainLastUsableValue)
        #expect(out[first.index].value != nil)
        let bad = try! #require(out.firstIndex { $0.status == .badSensorFailure })
        #expect(out[bad].fault == .stuck)
        #expect(out[bad].value == nil)
        let badDelay = trace.points[bad].seconds - freeze
        #expect(badDelay >= 2 * stuck - interval && badDelay <= 2 * stuck + interval)
    }

    @Test func aQuantisedReadingFrozenMidApproachIsFlaggedByTheModel() {
        // int16 at 0.1 with almost no noise: only the approach says the reading should move.
        let trace = Self.frozen(tau: 300, interval: 1, freeze: 400, noise: 0.005, quantum: 0.1)
        let tag = SyntheticTrace.tag(tau: 300, maxRate: 40.0 / 300, noise: 0.005, quantum: 0.1, stuck: 120)
        let out = trace.conditioned(by: tag)
        let first = try! #require(Signal.firstFault(out))
        #expect(first.fault == .stuck)
        #expect(trace.points[first.index].seconds - 400 <= 1.2 * 120)
    }

    @Test func aQuantisedReadingThatSettledIsNotStuck() {
        let trace = Signal.stepResponse(tau: 60, interval: 1, from: 20, to: 30, taus: 40, noise: 0.005, quantum: 0.1)
        let tag = SyntheticTrace.tag(tau: 60, maxRate: 10.0 / 60, noise: 0.005, quantum: 0.1, stuck: 120)
        #expect(Signal.firstFault(trace.conditioned(by: tag)) == nil)
    }

    @Test func aReadingThatNeverMovedIsNotCalledStuck() {
        let values: [Double?] = Array(repeating: 21.5, count: 2000)
        let tag = SyntheticTrace.tag(tau: 60, maxRate: 1, noise: 0.1, stuck: 120)
        #expect(Signal.firstFault(Signal.trace(values).conditioned(by: tag)) == nil)
    }

    @Test func movingAgainClearsTheFault() {
        var values: [Double?] = (0..<100).map { 30 + 0.1 * Double($0 % 5 - 2) }
        values += Array(repeating: 30.05, count: 200)
        values += (0..<20).map { 30 + 0.1 * Double($0 % 5 - 2) }
        let out = Signal.trace(values).conditioned(by: SyntheticTrace.tag(tau: 60, maxRate: 1, noise: 0.1, stuck: 120))
        #expect(out[260].fault == .stuck)
        #expect(out[305].fault == .none)
    }
}
