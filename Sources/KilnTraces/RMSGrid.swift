import KilnCore

/// The grid on which the conditioned value's RMS error is held to the issue's bar: at least 10%
/// below both the raw reading's and a fixed α = 0.2 average's, on noisy first-order traces
/// sampled at least 20 times per τ. It spans what a plant may throw at one tag: τ from 10 s to
/// 30 min, 20–300 samples per τ, steps of 3–1000 noise floors, square waves and random levels
/// held 2–10 τ, ±20% sampling jitter, 2% missed polls, float and int16 registers.
public enum RMSGrid {
    /// One trace of the grid.
    public struct Case: Sendable, Hashable, CustomStringConvertible {
        public var tau: Double
        public var perTau: Double
        /// Step size (square wave) or level spread (random steps), in noise floors.
        public var stepOverNoise: Double
        public var square: Bool
        public var quantised: Bool
        public var seed: UInt64

        public var description: String {
            "\(square ? "square" : "random") tau=\(tau) per_tau=\(perTau) step/noise=\(stepOverNoise)"
                + (quantised ? " int16" : "")
        }
    }

    /// One case's result: RMS errors of the conditioned value, the raw reading and α = 0.2.
    public struct Result: Sendable {
        public var trace: Case
        public var conditioned: Double
        public var raw: Double
        public var alpha: Double
        /// Conditioned over the better of the two references; the bar is 0.9.
        public var ratio: Double { conditioned / min(raw, alpha) }
    }

    public static let noise = 0.1

    /// Every case, with seeds fixed by `seed`.
    public static func cases(seed: UInt64 = 1) -> [Case] {
        var random = SplitMix64(seed: seed)
        var out: [Case] = []
        for tau in [10.0, 60, 600, 1800] {
            for perTau in [20.0, 30, 50, 100, 300] {
                for step in [3.0, 5, 10, 20, 50, 200, 1000] {
                    for square in [true, false] {
                        for quantised in [false, true] {
                            out.append(
                                Case(
                                    tau: tau, perTau: perTau, stepOverNoise: step, square: square,
                                    quantised: quantised, seed: random.next()))
                        }
                    }
                }
            }
        }
        return out
    }

    /// The steps of a case's settling value (seconds, level), from 20 at time 0.
    public static func steps(_ c: Case) -> [(time: Double, level: Double)] {
        var random = SplitMix64(seed: c.seed)
        let duration = 24 * c.tau
        let amplitude = c.stepOverNoise * noise
        let period = c.tau * (2 + 8 * random.uniform())
        return c.square
            ? SyntheticTrace.squareWave(duration: duration, low: 20, high: 20 + amplitude, period: period)
            : SyntheticTrace.randomSteps(
                duration: duration, start: 20 + amplitude / 2, amplitude: amplitude / 2, minHold: 2 * c.tau,
                maxHold: 10 * c.tau, seed: random.next())
    }

    /// The trace and the tag (`max_rate` 1.5 × the steepest slope) of one case.
    public static func trace(_ c: Case) -> (SyntheticTrace, TagConfig) {
        var random = SplitMix64(seed: c.seed)
        // The same draws as `steps(_:)`, then the trace's own seed.
        _ = random.uniform()
        _ = random.next()
        let interval = c.tau / c.perTau
        let duration = 24 * c.tau
        let steps = steps(c)
        let quantum = c.quantised ? noise : 0
        let trace = SyntheticTrace(
            tau: c.tau, interval: interval, duration: duration, start: 20, steps: steps, noise: noise,
            quantum: quantum, jitter: 0.2, missed: 0.02, seed: random.next())
        let tag = SyntheticTrace.tag(
            tau: c.tau, maxRate: max(trace.steepest, 1e-9) * 1.5, noise: noise, quantum: quantum, poll: interval)
        return (trace, tag)
    }

    public static func evaluate(_ c: Case) -> Result {
        let (trace, tag) = trace(c)
        return Result(
            trace: c, conditioned: trace.rmsError(of: trace.conditioned(by: tag).map(\.value)),
            raw: trace.rmsError(of: trace.points.map(\.reading)),
            alpha: trace.rmsError(of: trace.fixedAlphaAverage(0.2)))
    }
}
