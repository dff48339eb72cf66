import Foundation
import KilnCore
import KilnTraces
import Testing

@testable import KilnSignal

/// The smoothing: exact for any interval, no lag on a first-order approach, and less error than
/// both the raw reading and a fixed α = 0.2 average on noisy traces sampled ≥ 20 times per τ.
struct FilterTests {
    @Test(arguments: [
        // (τ, samples per τ, step / noise)
        (30.0, 20.0, 100.0), (90, 20, 300), (300, 50, 50), (600, 100, 200), (1800, 20, 1000), (10, 100, 40),
    ])
    func conditionedValueBeatsRawAndFixedAlphaByTenPercent(tau: Double, perTau: Double, stepOverNoise: Double) {
        let noise = 0.1
        let trace = SyntheticTrace(
            tau: tau, interval: tau / perTau, duration: 12 * tau, start: 20,
            steps: SyntheticTrace.squareWave(
                duration: 12 * tau, low: 20, high: 20 + stepOverNoise * noise, period: 4 * tau),
            noise: noise, jitter: 0.1, missed: 0.02, seed: 11)
        let tag = SyntheticTrace.tag(tau: tau, maxRate: trace.steepest * 1.5, noise: noise, poll: tau / perTau)
        let conditioned = trace.rmsError(of: trace.conditioned(by: tag).map(\.value))
        let raw = trace.rmsError(of: trace.points.map(\.reading))
        let average = trace.rmsError(of: trace.fixedAlphaAverage(0.2))
        #expect(conditioned <= 0.9 * raw, "conditioned \(conditioned) raw \(raw)")
        #expect(conditioned <= 0.9 * average, "conditioned \(conditioned) alpha 0.2 \(average)")
    }

    /// One step response each, the kind a plant engineer records: the setting of `max_rate` is
    /// physics' bound, often generous (here 10× the steepest slope of the trace), and the step only
    /// 20–50 noise floors; it starts at rest, or right at the step's onset.
    @Test(arguments: [
        // (τ, samples per τ, step / noise, τ at rest before the step)
        (90.0, 20.0, 20.0, 2.0), (600, 20, 20, 0), (30, 60, 20, 2), (1800, 20, 50, 0), (10, 20, 50, 2),
    ])
    func aGenerousMaxRateDoesNotCostSmallSteps(tau: Double, perTau: Double, stepOverNoise: Double, rest: Double) {
        let noise = 0.1
        let trace = SyntheticTrace(
            tau: tau, interval: tau / perTau, duration: (rest + 6) * tau, start: 20,
            steps: [(rest * tau, 20 + stepOverNoise * noise)], noise: noise, jitter: 0.1, missed: 0.01, seed: 5)
        let tag = SyntheticTrace.tag(
            tau: tau, maxRate: 10 * stepOverNoise * noise / tau, noise: noise, poll: tau / perTau)
        let conditioned = trace.rmsError(of: trace.conditioned(by: tag).map(\.value))
        let raw = trace.rmsError(of: trace.points.map(\.reading))
        let average = trace.rmsError(of: trace.fixedAlphaAverage(0.2))
        #expect(conditioned <= 0.9 * min(raw, average), "conditioned \(conditioned) raw \(raw) alpha 0.2 \(average)")
    }

    @Test func theWeightsExponentialMatchesTheCLibrarys() {
        var worst = 0.0
        var v = -720.0
        while v <= 0 {
            // Both lanes, with different arguments.
            let lanes = ChangepointLagFilter.exponential(SIMD2(v, v / 3))
            for (argument, value) in [(v, lanes.x), (v / 3, lanes.y)] {
                let expected = max(exp(argument), exp(-1000 / 1.4426950408889634))
                worst = max(worst, abs(value / expected - 1))
            }
            v += 0.0137
        }
        #expect(worst < 2e-7, "worst relative error \(worst)")
        #expect(ChangepointLagFilter.exponential(SIMD2(0, 0)) == SIMD2(1, 1))
        // Above 0 (a row that weighs nothing) it gives 1, never an overflow.
        #expect(ChangepointLagFilter.exponential(SIMD2(5, 800)) == SIMD2(1, 1))
    }

    @Test(arguments: [(0.5, 10.0), (1.0, 90.0), (60.0, 1800.0), (0.002, 10.0), (5.0, 10.0)])
    func aJitteredIntervalsTransitionMatchesOneComputedInFull(dt: Double, tau: Double) {
        // The poller's reply times jitter by up to τ/1000 around the period; the transition for
        // those intervals is derived from the period's, and must be the same numbers.
        let base = LagStep(dt: dt, tau: tau, modeTime: 4 * tau)
        for fraction in [-1.0, -0.37, -1e-6, 1e-6, 0.2, 1.0] {
            let delta = fraction * LagStep.advanceLimit * tau
            guard dt + delta >= 0 else { continue }
            let derived = base.advanced(by: delta, tau: tau, modeTime: 4 * tau)
            let full = LagStep(dt: dt + delta, tau: tau, modeTime: 4 * tau)
            let pairs = [
                ("a", derived.a, full.a), ("b", derived.b, full.b), ("qxx", derived.qxx, full.qxx),
                ("qxu", derived.qxu, full.qxu), ("quu", derived.quu, full.quu),
                ("switch", derived.switchProbability, full.switchProbability),
            ]
            for (name, got, expected) in pairs {
                // qxx's closed form cancels digits (it is about τh³/3), in both: hence the
                // absolute floor, of the size of the terms that cancel.
                #expect(
                    abs(got - expected) <= 1e-9 * abs(expected) + 1e-15 * tau,
                    "\(name) at dt \(dt) + \(delta): \(got) vs \(expected)")
            }
        }
    }

    @Test(arguments: [0.4, 3, 5])
    func aNoiseFloorSetWrongStillSmoothsToTheBar(factor: Double) {
        // The map's `noise` is off by `factor`: set too high, a filter that believed it would
        // average away the approach; too low, follow the noise. Once the readings have shown
        // their own noise (8 blocks of 9 readings; the step comes after 5 τ), the filter smooths
        // by that.
        for (seed, perTau) in [(31, 20.0), (32, 50), (33, 100)] as [(UInt64, Double)] {
            let trace = SyntheticTrace(
                tau: 60, interval: 60 / perTau, duration: 12 * 60, start: 20, steps: [(5 * 60, 22)], noise: 0.1,
                jitter: 0.1, missed: 0.01, seed: seed)
            let tag = SyntheticTrace.tag(tau: 60, maxRate: 1.5 * 2 / 60, noise: 0.1 * factor, poll: 60 / perTau)
            let out = trace.conditioned(by: tag)
            let conditioned = trace.rmsError(of: out.map(\.value))
            let raw = trace.rmsError(of: trace.points.map(\.reading))
            let average = trace.rmsError(of: trace.fixedAlphaAverage(0.2))
            #expect(
                conditioned <= 0.9 * min(raw, average),
                "noise × \(factor), \(perTau) per τ: conditioned \(conditioned) raw \(raw) alpha 0.2 \(average)")
            #expect(Signal.firstFault(out) == nil, "noise × \(factor), \(perTau) per τ")
        }
    }

    @Test func theMedianOfNineIsTheSortedMiddle() {
        var state: UInt64 = 12_345
        for round in 0..<20_000 {
            var values: [Double] = []
            for _ in 0..<9 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                // Few distinct values in half the rounds, so ties are common.
                values.append(round % 2 == 0 ? Double(state >> 61) : Double(Int64(bitPattern: state >> 11)) * 1e-9)
            }
            let v = values
            let median = NoiseFloor.median((v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]))
            #expect(median == values.sorted()[4], "\(values)")
        }
    }

    @Test func irregularSamplingCostsLittle() {
        // The same process sampled regularly and with ±50% jitter plus missed polls: the filter is
        // exact for any Δt, so the error stays of the same size.
        func error(jitter: Double, missed: Double) -> Double {
            let trace = Signal.stepResponse(
                tau: 60, interval: 1, from: 20, to: 60, taus: 8, noise: 0.2, jitter: jitter, missed: missed, seed: 12)
            let tag = SyntheticTrace.tag(tau: 60, maxRate: 40.0 / 60, noise: 0.2)
            return trace.rmsError(of: trace.conditioned(by: tag).map(\.value))
        }
        let regular = error(jitter: 0, missed: 0)
        let irregular = error(jitter: 0.5, missed: 0.1)
        #expect(irregular < 1.5 * regular, "regular \(regular), irregular \(irregular)")
        #expect(irregular < 0.5 * 0.2)
    }

    @Test func aNoiseFreeFirstOrderApproachIsFollowedWithoutLag() {
        let trace = Signal.stepResponse(tau: 100, interval: 2, from: 0, to: 100, taus: 6, noise: 0)
        let tag = SyntheticTrace.tag(tau: 100, maxRate: 1, noise: 0.01)
        let out = trace.conditioned(by: tag)
        // After the first few samples of the approach, the estimate sits on the curve.
        for (point, reading) in zip(trace.points, out) where point.seconds > 150 {
            #expect(abs((reading.value ?? .nan) - point.clean) < 0.05, "at \(point.seconds) s")
        }
    }

    @Test func theProjectionIsWhereTheApproachSettles() {
        let trace = Signal.stepResponse(tau: 120, interval: 1, from: 20, to: 80, taus: 4, noise: 0.1, seed: 13)
        let tag = SyntheticTrace.tag(tau: 120, maxRate: 0.6, noise: 0.1)
        let out = trace.conditioned(by: tag)
        // Half a τ into the approach the reading is 24 units short, the projection within 2.
        let index = trace.points.firstIndex { $0.seconds >= 180 }!
        #expect(abs(trace.points[index].clean - 80) > 20)
        #expect(abs((out[index].projected ?? .nan) - 80) < 2)
        // Three τ in, the reading is still 3 short; the projection is where it settles.
        #expect(abs((out.last!.projected ?? .nan) - 80) < 0.5)
        #expect(abs((out.last!.value ?? .nan) - 80) > 2)
    }

    @Test func tagsWithoutThermalPassTheReadingThrough() {
        var tag = SyntheticTrace.tag(tau: 1, maxRate: 1, noise: 0)
        tag.conditioning.thermal = nil
        let values: [Double?] = [1, 5, 100, -3, 7]
        let out = Signal.trace(values).conditioned(by: tag)
        #expect(out.map(\.value) == values)
        #expect(out.allSatisfy { $0.status == .good && $0.projected == nil })
    }
}
