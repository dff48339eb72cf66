import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// Seeded synthetic traces of a first-order sensor, for the tests and the conditioning
/// benchmark: the exact response to a settling value that steps, sampled at (optionally
/// jittered) intervals, with Gaussian noise, register quantisation and missed polls.
public struct SyntheticTrace: Sendable {
    /// One poll: when, the noise-free reading, and what was read (nil: a missed poll).
    public struct Point: Sendable, Hashable {
        public var time: Int64
        public var clean: Double
        public var reading: Double?

        public init(time: Int64, clean: Double, reading: Double?) {
            self.time = time
            self.clean = clean
            self.reading = reading
        }

        /// Seconds since the trace began.
        public var seconds: Double { Double(time) * 1e-6 }
    }

    public var points: [Point]
    /// The steepest rate of the noise-free reading, units per second (just after a step).
    public var steepest: Double

    /// - Parameters:
    ///   - tau: the sensor's time constant, seconds.
    ///   - interval: the poll period, seconds.
    ///   - duration: seconds.
    ///   - start: the reading (and settling value) at time 0.
    ///   - steps: when the settling value changes, and to what (seconds, level), in time order.
    ///   - noise: standard deviation of the Gaussian noise.
    ///   - quantum: readings are rounded to multiples of this (an integer register's scale).
    ///   - jitter: each interval varies uniformly by ± this fraction.
    ///   - missed: probability that a poll brings no reading (never two in a row).
    ///   - seed: the generator's seed; the same seed gives the same trace.
    public init(
        tau: Double, interval: Double, duration: Double, start: Double = 20,
        steps: [(time: Double, level: Double)] = [], noise: Double = 0, quantum: Double = 0,
        jitter: Double = 0, missed: Double = 0, seed: UInt64 = 1
    ) {
        var random = SplitMix64(seed: seed)
        var points: [Point] = []
        var t = 0.0
        var x = start
        var u = start
        var modelTime = 0.0
        var next = 0
        var steepest = 0.0
        while t < duration {
            while next < steps.count, steps[next].time <= t {
                x = u + (x - u) * exp(-(steps[next].time - modelTime) / tau)
                modelTime = steps[next].time
                u = steps[next].level
                steepest = max(steepest, abs(u - x) / tau)
                next += 1
            }
            x = u + (x - u) * exp(-(t - modelTime) / tau)
            modelTime = t
            var reading: Double? = x + noise * random.gaussian()
            if quantum > 0, let r = reading { reading = (r / quantum).rounded() * quantum }
            // Missed polls come one at a time: three in a row would rightly be stale.
            if missed > 0, points.last?.reading != nil, random.uniform() < missed { reading = nil }
            points.append(Point(time: Int64((t * 1e6).rounded()), clean: x, reading: reading))
            t += interval * (1 + jitter * (2 * random.uniform() - 1))
        }
        self.points = points
        self.steepest = steepest
    }

    /// Settling-value steps at random: every `minHold`…`maxHold` seconds (first after
    /// `minHold`/2…`minHold`), to a level uniform within `start ± amplitude`.
    public static func randomSteps(
        duration: Double, start: Double, amplitude: Double, minHold: Double, maxHold: Double, seed: UInt64
    ) -> [(time: Double, level: Double)] {
        var random = SplitMix64(seed: seed ^ 0x5DEE_CE66)
        var steps: [(time: Double, level: Double)] = []
        var t = minHold * (0.5 + 0.5 * random.uniform())
        while t < duration {
            steps.append((t, start + amplitude * (2 * random.uniform() - 1)))
            t += minHold + (maxHold - minHold) * random.uniform()
        }
        return steps
    }

    /// A square wave of the settling value between `low` and `high`, switching every `period`
    /// seconds (the simulated plant's heat input), starting at `low`.
    public static func squareWave(duration: Double, low: Double, high: Double, period: Double) -> [(
        time: Double, level: Double
    )] {
        stride(from: period, to: duration, by: period).enumerated().map { i, t in (t, i % 2 == 0 ? high : low) }
    }
}
