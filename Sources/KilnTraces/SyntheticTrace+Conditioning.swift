import KilnCore
import KilnSignal

/// Runs synthetic traces through a tag's conditioning, for the tests and the benchmark.
extension SyntheticTrace {
    /// A thermal tag (float64 register, scale 1, or an int16 register scaled by `quantum`).
    public static func tag(
        tau: Double, maxRate: Double, noise: Double, quantum: Double = 0, poll: Double = 1,
        stuck: Double? = nil, range: ClosedRange<Double>? = nil, sentinels: [Double] = []
    ) -> TagConfig {
        TagConfig(
            name: "t", register: .holding, address: 0, type: quantum > 0 ? .int16 : .float64,
            scale: quantum > 0 ? quantum : 1, poll: .nanoseconds(Int64((poll * 1e9).rounded())),
            conditioning: ConditioningConfig(
                range: range, sentinels: sentinels,
                thermal: ThermalConfig(
                    tau: .nanoseconds(Int64((tau * 1e9).rounded())), maxRate: maxRate, noise: noise),
                stuck: stuck.map { .nanoseconds(Int64(($0 * 1e9).rounded())) }))
    }

    /// Every point conditioned in order; missed polls go to `missed(at:)`.
    public func conditioned(by tag: TagConfig) -> [ConditionedReading] {
        var conditioner = TagConditioner(tag: tag)
        return points.map { point in
            guard let reading = point.reading else { return conditioner.missed(at: point.time) }
            return conditioner.condition(reading: reading, unscaled: tag.unscaled(reading), at: point.time)
        }
    }

    /// RMS error against the noise-free signal over the points that have a reading, of the
    /// given values (nil values are skipped).
    public func rmsError(of values: [Double?]) -> Double {
        var sum = 0.0
        var n = 0
        for (point, value) in zip(points, values) where point.reading != nil {
            guard let value else { continue }
            sum += (value - point.clean) * (value - point.clean)
            n += 1
        }
        return n == 0 ? 0 : (sum / Double(n)).squareRoot()
    }

    /// The per-sample exponential average with a fixed α (0.2 in the issue), holding over
    /// missed polls: the reference the conditioned value is compared with.
    public func fixedAlphaAverage(_ alpha: Double = 0.2) -> [Double?] {
        var s: Double?
        return points.map { point in
            if let y = point.reading { s = s.map { $0 + alpha * (y - $0) } ?? y }
            return s
        }
    }
}
