/// Predicts each timestamp of a block from the ones before it; the codec stores the residuals.
///
/// Polled timestamps are a fixed period plus a reply-time jitter `j` that does not accumulate
/// (the poller sleeps to absolute deadlines). Recorded from the demo plant, `j` sits on a floor
/// that wanders slowly, within tens of microseconds, with one reply in ten or so late by 0.1 to
/// 40 ms. Three predictors cover what blocks hold:
/// - ``Kind/nominal``: the previous time plus the block's nominal period; the residual is
///   `j[n] - j[n-1]`.
/// - ``Kind/grid``: the nominal grid from the first time, shifted by the median offset from it
///   of the last five points; the residual is about `j[n]` alone, and a late reply costs one
///   residual, not two. An offset half a period or more from the median (a gap, a phase jump)
///   starts the median again.
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

    let kind: Kind
    let nominal: Int64
    private var previous: Int64
    private var previousDelta: Int64
    private var gridTime: Int64
    private var offsets = RecentMedian()

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
        case .grid: gridTime &+ nominal &+ offsets.median
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
            if (offset &- offsets.median).magnitude > nominal.magnitude / 2 {
                offsets = RecentMedian(offset)
            } else {
                offsets.append(offset)
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

/// The median of the last five values appended, the first one standing in for those not yet
/// seen; kept in registers, with six comparisons per update.
struct RecentMedian {
    private var values: (Int64, Int64, Int64, Int64, Int64)
    private var next = 0
    private(set) var median: Int64

    init(_ first: Int64 = 0) {
        values = (first, first, first, first, first)
        median = first
    }

    @inline(__always)
    mutating func append(_ value: Int64) {
        switch next {
        case 0: values.0 = value
        case 1: values.1 = value
        case 2: values.2 = value
        case 3: values.3 = value
        default: values.4 = value
        }
        next = next == 4 ? 0 : next + 1
        // Branchless: the larger pair minimum and the smaller pair maximum of (a, b), (c, d)
        // bracket the median, and the median of those two and e is the median of all five
        // (checked exhaustively on every 5-tuple over five values).
        let (a, b, c, d, e) = values
        let low = max(min(a, b), min(c, d))
        let high = min(max(a, b), max(c, d))
        median = max(min(e, low), min(max(e, low), high))
    }
}
