import KilnSignal
import KilnTraces
import Testing

/// `kiln tune`: τ, max_rate and noise from a recorded step response.
struct StepResponseFitTests {
    static func fit(_ trace: SyntheticTrace) throws -> StepResponseFit {
        let points = trace.points.filter { $0.reading != nil }
        return try StepResponseFit(times: points.map(\.seconds), values: points.map { $0.reading! })
    }

    @Test(arguments: [(90.0, 1.0, 0.15), (600, 5, 0.05), (20, 0.5, 0.4), (1800, 15, 0.1)])
    func recoversTauMaxRateAndNoise(tau: Double, interval: Double, noise: Double) throws {
        let trace = Signal.stepResponse(
            tau: tau, interval: interval, from: 20, to: 82, taus: 7, noise: noise, jitter: 0.2, missed: 0.02, seed: 51)
        let fit = try Self.fit(trace)
        #expect(abs(fit.tau - tau) < 0.03 * tau, "tau \(fit.tau) ± \(fit.tauError)")
        #expect(abs(fit.tau - tau) < 5 * fit.tauError + 0.002 * tau)
        #expect(abs(fit.maxRate - 62 / tau) < 0.05 * 62 / tau)
        #expect(abs(fit.noise - noise) < 0.15 * noise)
        #expect(abs(fit.initial - 20) < 0.1 && abs(fit.final - 82) < 0.5)
        #expect(abs(fit.stepTime - tau) < max(2 * interval, 0.02 * tau))
    }

    @Test func spikesAreLeftOutOfTheFit() throws {
        var trace = Signal.stepResponse(tau: 60, interval: 1, from: 10, to: 50, taus: 6, noise: 0.1, seed: 52)
        for i in stride(from: 30, to: trace.points.count, by: 40) { trace.points[i].reading! += 25 }
        let fit = try Self.fit(trace)
        #expect(fit.outliers >= 8)
        #expect(abs(fit.tau - 60) < 1.5)
        #expect(abs(fit.noise - 0.1) < 0.02)
    }

    @Test func aFallingStepFitsToo() throws {
        let trace = Signal.stepResponse(tau: 45, interval: 0.5, from: 8.5, to: 0, taus: 8, noise: 0.02, seed: 53)
        let fit = try Self.fit(trace)
        #expect(abs(fit.tau - 45) < 1)
        #expect(abs(fit.maxRate - 8.5 / 45) < 0.01)
    }

    @Test func noStepIsAnError() {
        let trace = Signal.stepResponse(tau: 60, interval: 1, from: 20, to: 20.05, taus: 6, noise: 0.1, seed: 54)
        #expect(throws: StepResponseFit.FitError.self) { try Self.fit(trace) }
        #expect(throws: StepResponseFit.FitError.tooFewReadings(3)) {
            try StepResponseFit(times: [0, 1, 2], values: [1, 2, 3])
        }
    }

    @Test(arguments: [
        (90.44, "90.4"), (0.6862, "0.686"), (1800, "1800"), (0.15, "0.15"), (12.0, "12"), (-3.14159, "-3.14"),
    ])
    func threeSignificantDigits(_ value: Double, _ text: String) {
        #expect(StepResponseFit.format(value) == text)
    }

    /// The fit works on scaled levels: the same step at 1e-300 or 1e300 times the size gives the
    /// same τ, and levels, rate and noise scaled by the same factor.
    @Test(arguments: [1e-300, 1e-6, 1e6, 1e300])
    func anyFiniteScaleFitsTheSame(_ scale: Double) throws {
        let trace = Signal.stepResponse(tau: 90, interval: 1, from: 20, to: 82, taus: 7, noise: 0.15, seed: 55)
        let points = trace.points.filter { $0.reading != nil }
        let base = try StepResponseFit(times: points.map(\.seconds), values: points.map { $0.reading! })
        let scaled = try StepResponseFit(times: points.map(\.seconds), values: points.map { $0.reading! * scale })
        #expect(abs(scaled.tau - base.tau) < 1e-6 * base.tau)
        #expect(abs(scaled.maxRate / scale - base.maxRate) < 1e-6 * base.maxRate)
        #expect(abs(scaled.initial / scale - base.initial) < 1e-6 * abs(base.initial))
        #expect(abs(scaled.noise / scale - base.noise) < 1e-6 * base.noise)
        #expect(scaled.warnings.isEmpty && base.warnings.isEmpty)
    }

    @Test func warningsNameWhatTheTraceLacks() throws {
        let trace = Signal.stepResponse(tau: 60, interval: 1, from: 20, to: 80, taus: 2, noise: 0.1, seed: 56)
        let points = trace.points.filter { $0.reading != nil && $0.seconds >= 62 }
        let fit = try StepResponseFit(times: points.map(\.seconds), values: points.map { $0.reading! })
        #expect(fit.warnings.contains { if case .noBaseline = $0 { true } else { false } })
        #expect(fit.warnings.contains { if case .shortSettling = $0 { true } else { false } })
    }

    @Test(arguments: [
        (1.797e308, "1.8e+308"), (-2.5e-300, "-2.5e-300"), (9.3e18, "9.3e+18"), (1e-7, "1e-07"),
        (Double.infinity, "inf"),
    ])
    func formatHasNoLimit(_ value: Double, _ text: String) {
        #expect(StepResponseFit.format(value) == text)
    }
}
