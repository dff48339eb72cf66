import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// The checks every numeric tag gets, derived once from its configuration: inline in each
/// ``TagConditioner``, so kept to what the per-sample path and the reason texts need (32 bytes).
struct CheckParameters: Sendable {
    var low: Double
    var high: Double
    /// The tag's configured scan period, seconds; staleness is counted in these.
    var poll: Double
    /// Unscaled register values that mean "no reading" (the empty array, which allocates
    /// nothing, for the many tags without).
    var sentinels: [Double]

    init(tag: TagConfig) {
        let conditioning = tag.conditioning
        // Without a range, ±∞: no finite reading is outside it, and it words as before.
        low = conditioning.range?.lowerBound ?? -.infinity
        high = conditioning.range?.upperBound ?? .infinity
        sentinels = conditioning.sentinels
        poll = max(tag.poll.seconds, 1e-3)
    }
}

/// The constants of a tag's thermal model, derived once from its configuration so the
/// per-sample path only does arithmetic (held in ``ThermalState``, for thermal tags only).
struct SignalParameters: Sendable {
    // MARK: Thermal model

    var thermal: Bool
    /// Time constant of the sensor's first-order lag, seconds.
    var tau: Double
    var maxRate: Double
    var noise: Double
    /// The register's resolution in engineering units: `|scale|` for integer types, else 0.
    var quantum: Double
    /// Measurement variance: the noise floor plus uniform quantisation error (q²/12).
    var measurementVariance: Double
    /// Diffusion (units²/s) of the settling value between steps: a slow wander.
    var quietDiffusion: Double
    /// Mean time the filter expects the settling value to hold between steps, seconds.
    var modeTime: Double

    // MARK: Stuck detection

    /// Seconds without change before a reading is suspect; 0 turns the check off.
    var stuck: Double
    /// A reading "changes" when it moves by more than this from the start of the flat run.
    var flatTolerance: Double
    /// A reading repeats the last one when within this: the same code of an integer register,
    /// the very same number otherwise.
    var repeatTolerance: Double
    /// Quantised readings whose noise floor is at least half a quantum repeat by chance, so a
    /// repeat is a measurement the filter takes, not a held register.
    var repeatsCarryNoise: Bool
    /// Flat samples after which the noise floor alone says the sensor cannot be alive.
    var flatSamplesForNoise: Int

    init(tag: TagConfig) {
        let conditioning = tag.conditioning
        quantum = tag.type.isInteger ? abs(tag.scale) : 0

        let thermalConfig = conditioning.thermal
        thermal = thermalConfig != nil
        tau = max(thermalConfig?.tau.seconds ?? 1, 1e-3)
        maxRate = max(thermalConfig?.maxRate ?? 1, 1e-12)
        noise = max(thermalConfig?.noise ?? 0, 0)
        measurementVariance = max(noise * noise + quantum * quantum / 12, 1e-18)
        // Between steps the settling value holds: a random walk too small to matter within a
        // few τ (steps are the changepoint filter's hypotheses).
        quietDiffusion = 1e-3 * measurementVariance / tau
        modeTime = SignalParameters.modeTimeInTau * tau

        stuck = thermal ? max(conditioning.stuck?.seconds ?? 0, 0) : 0
        flatTolerance = max(quantum / 2, noise / 20)
        repeatTolerance = quantum / 2
        repeatsCarryNoise = quantum > 0 && noise >= quantum / 2
        flatSamplesForNoise = SignalParameters.flatSamples(
            window: max(flatTolerance, quantum / 2), noise: noise)
    }

    /// Mean hold of the settling value between steps, in τ: the changepoint filter's hazard.
    static let modeTimeInTau = 4.0

    /// Samples in a row that healthy noise of standard deviation `noise` keeps within `window`
    /// of the first with probability below 1e-9 (worst case: the first at the centre); `Int.max`
    /// when the noise is too small against the window to say anything.
    static func flatSamples(window: Double, noise: Double) -> Int {
        guard noise > 0 else { return .max }
        let stay = erf(window / (noise * 2.0.squareRoot()))
        guard stay < 1 - 1e-9 else { return .max }
        guard stay > 0 else { return 2 }
        return max(2, Int((log(1e-9) / log(stay)).rounded(.up)))
    }
}

extension DataType {
    /// True for the integer register types, whose engineering values step by `|scale|`.
    var isInteger: Bool {
        switch self {
        case .int16, .uint16, .int32, .uint32, .int64, .uint64: true
        default: false
        }
    }
}
