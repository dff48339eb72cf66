/// Predicts each timestamp of a block from the ones before it; the codec stores the residuals.
///
/// Polled timestamps are a fixed period plus a small reply-time jitter `j` that does not
/// accumulate (the poller sleeps to absolute deadlines). Three predictors cover what blocks hold:
/// - ``Kind/nominal``: the previous time plus the block's nominal period; the residual is
///   `j[n] - j[n-1]`.
/// - ``Kind/grid``: the nominal grid from the first time, shifted by a running mean of the
///   offsets seen; the residual is about `j[n]` alone. A late reply moves the mean by at most
///   twice the typical miss, so it costs one residual, not the next ten; a gap or a phase jump
///   of half a period or more restarts the mean.
/// - ``Kind/deltaOfDelta``: Gorilla's delta of deltas, for periods that drift or change.
///
/// All arithmetic wraps, so any `Int64` sequence — out of order, duplicated, spanning the whole
/// range — round-trips exactly; an unsuitable predictor only costs bits.
struct TimePredictor {
    enum Kind: UInt64, CaseIterable {
        case nominal = 0
        case deltaOfDelta = 1
        case grid = 2
    }

    /// Fractional bits of the grid offset's running mean and spread.
    private static let fraction: Int64 = 4
    /// The running mean moves 1/2^smoothing of the way to each new offset (measured on recorded
    /// poll times: the reply-time floor wanders, so the mean must follow it quickly).
    private static let smoothing: Int64 = 2

    let kind: Kind
    let nominal: Int64
    private var previous: Int64
    private var previousDelta: Int64
    private var gridTime: Int64
    private var offsetMean: Int64 = 0
    /// Running mean of |miss|, fixed point.
    private var spread: Int64 = 64 << fraction

    /// - Parameters:
    ///   - kind: the predictor.
    ///   - nominal: the block's nominal period in microseconds.
    ///   - first: the block's first time.
    init(_ kind: Kind, nominal: Int64, first: Int64) {
        self.kind = kind
        self.nominal = nominal
        previous = first
        previousDelta = nominal
        gridTime = first
    }

    /// The predicted next time.
    @inline(__always)
    func predict() -> Int64 {
        switch kind {
        case .nominal: previous &+ nominal
        case .deltaOfDelta: previous &+ previousDelta
        case .grid: gridTime &+ nominal &+ (offsetMean &>> Self.fraction)
        }
    }

    /// Takes the actual next time into the state.
    @inline(__always)
    mutating func advance(to time: Int64) {
        switch kind {
        case .nominal: break
        case .deltaOfDelta: previousDelta = time &- previous
        case .grid:
            gridTime = gridTime &+ nominal
            let offset = time &- gridTime
            let miss = offset &- (offsetMean &>> Self.fraction)
            if miss.magnitude > nominal.magnitude / 2 {
                // A gap or a phase jump: start again from the new offset.
                offsetMean = offset &<< Self.fraction
            } else {
                let limit = max(spread &* 2, 16)
                let step = max(min(miss &<< Self.fraction, limit), -limit)
                offsetMean = offsetMean &+ (step &>> Self.smoothing)
                let magnitude = Int64(min(miss.magnitude, 1 << 40)) &<< Self.fraction
                spread = spread &+ ((magnitude &- spread) &>> 4)
            }
        }
        previous = time
    }

    /// The block's typical spacing: the median of up to 63 deltas sampled evenly through it.
    static func nominalPeriod(_ times: [Int64]) -> Int64 {
        guard times.count > 1 else { return 0 }
        let deltas = times.count - 1
        let samples = min(deltas, 63)
        var sampled: [Int64] = []
        sampled.reserveCapacity(samples)
        for s in 0..<samples {
            let i = 1 + s * deltas / samples
            sampled.append(times[i] &- times[i - 1])
        }
        sampled.sort()
        return sampled[samples / 2]
    }
}
