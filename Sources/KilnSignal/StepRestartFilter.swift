#if canImport(Glibc)
    import Glibc
#endif

/// The conditioned value: a first-order-lag Kalman filter that assumes the settling value `u`
/// holds, restarted from the onset of each step a CUSUM detector finds in its innovations.
///
/// Between steps the quiet model averages over everything since the last step. When `u` jumps
/// at t0, the response is x(t) = u + (x0 − u)·e^{−(t−t0)/τ}, linear in (x0, u): the same filter
/// started at t0 with `x` as it was (the reading is continuous) and `u` unknown is the least
/// squares fit of that curve to the readings since t0, lag-free and noise-averaged. So a
/// two-sided CUSUM of the normalised innovations watches for the drift a step leaves; on an
/// alarm, the filter goes back to its state after the last reading before the drift began
/// (where the CUSUM last stood at zero, Page's onset estimate), opens up `u`, and folds the
/// readings since then in again from a ring buffer. The replay is rare and bounded by the
/// buffer, so the cost per reading stays O(1) amortised and nothing is allocated.
struct StepRestartFilter: Sendable {
    /// One reading the filter took, with the estimate right after it.
    struct Entry: Sendable {
        var dt = 0.0
        var y = 0.0
        var x = 0.0
        var u = 0.0
        var pxx = 0.0
        var pxu = 0.0
        var puu = 0.0
        /// The reading's squared normalised innovation and innovation variance as the filter then
        /// predicted it: −2 log of its likelihood is `surprise + log(spread)` (up to a constant),
        /// worked out only when a restart needs it.
        var surprise = 0.0
        var innovationVariance = 1.0

        var cost: Double { surprise + log(innovationVariance) }
    }

    /// Readings the ring keeps (a power of two).
    static let capacity = 32
    /// CUSUM reference (half the normalised shift it is tuned to) and alarm threshold; on the
    /// ``RMSGrid`` 5–7 alarm more often than the restarts pay for, 12 and up come too late.
    static let drift = 0.5
    static let threshold = 10.0
    /// CUSUM level at which the conditioned value has left this filter for the interacting one.
    static let handover = 4.0

    var estimate: LagEstimate
    private var ring = (
        Entry(), Entry(), Entry(), Entry(), Entry(), Entry(), Entry(), Entry(),
        Entry(), Entry(), Entry(), Entry(), Entry(), Entry(), Entry(), Entry(),
        Entry(), Entry(), Entry(), Entry(), Entry(), Entry(), Entry(), Entry(),
        Entry(), Entry(), Entry(), Entry(), Entry(), Entry(), Entry(), Entry()
    )
    /// Readings taken so far, and how many of the last ones the ring holds.
    private var taken = 0
    private var held = 0
    /// The CUSUM sums upwards and downwards, and the reading count when each was last zero.
    private var up = 0.0
    private var down = 0.0
    private var upOnset = 0
    private var downOnset = 0
    /// The detector's state before the last reading, to take it back.
    private var undo = (up: 0.0, down: 0.0, upOnset: 0, downOnset: 0)
    /// How far `u` opens up on a restart.
    private let spread: Double

    init(reading y: Double, variance: Double, parameters p: SignalParameters) {
        spread = p.maxRate * p.tau / 2
        estimate = LagEstimate(reading: y, variance: variance, settlingSpread: spread)
        held = 1
        store(Entry(y: y, x: estimate.x, u: estimate.u, pxx: estimate.pxx, pxu: estimate.pxu, puu: estimate.puu), at: 0)
    }

    var x: Double { estimate.x }
    /// The larger CUSUM sum: how far the readings have drifted from the quiet model.
    var drifted: Double { max(up, down) }

    /// This filter's share of the conditioned value: half while the readings fit it, less as
    /// they drift from it (a step it has not yet found), none from ``handover`` on, where the
    /// interacting filter, which follows a step at once, speaks alone. Half and half: the two
    /// filters' errors only partly agree, so their average beats either.
    var share: Double { 0.5 * max(0, 1 - drifted / Self.handover) }

    /// Folds in reading `y`, taken `step` (of `dt` seconds) after the previous one.
    @inline(__always)
    mutating func update(
        _ step: LagStep, dt: Double, reading y: Double, variance r: Double, diffusion q: Double, tau: Double,
        modeTime: Double
    ) {
        let predicted = step.a * estimate.x + step.b * estimate.u
        let (surprise, v) = estimate.advance(step, diffusion: q, reading: y, variance: r)
        let z = (y - predicted) / v.squareRoot()
        undo = (up, down, upOnset, downOnset)
        taken += 1
        held = min(held + 1, Self.capacity)
        store(
            Entry(
                dt: dt, y: y, x: estimate.x, u: estimate.u, pxx: estimate.pxx, pxu: estimate.pxu, puu: estimate.puu,
                surprise: surprise, innovationVariance: v), at: taken)
        up = max(up + z - Self.drift, 0)
        down = max(down - z - Self.drift, 0)
        if up == 0 { upOnset = taken }
        if down == 0 { downOnset = taken }
        if up > Self.threshold {
            restart(after: upOnset, variance: r, diffusion: q, tau: tau, modeTime: modeTime)
        } else if down > Self.threshold {
            restart(after: downOnset, variance: r, diffusion: q, tau: tau, modeTime: modeTime)
        }
    }

    /// Takes back the last reading (it was a spike).
    mutating func undoLast() {
        guard held > 1 else { return }
        held -= 1
        taken -= 1
        let e = entry(at: taken)
        estimate.x = e.x
        estimate.u = e.u
        estimate.pxx = e.pxx
        estimate.pxu = e.pxu
        estimate.puu = e.puu
        (up, down, upOnset, downOnset) = undo
        upOnset = min(upOnset, taken)
        downOnset = min(downOnset, taken)
    }

    /// Restarts the estimate at the likeliest onset after reading `onset` (Page's estimate, the
    /// earliest the drift can have begun): each candidate's readings since are taken again with
    /// `u` opened up, those before it keep their likelihood under the quiet model, and the
    /// candidate that explains the readings best (the prior on `u` charging for the jump) wins.
    private mutating func restart(after onset: Int, variance r: Double, diffusion q: Double, tau: Double, modeTime: Double) {
        let first = max(onset, taken - held + 1)
        guard first < taken else { return }
        var best = first
        var bestCost = Double.infinity
        var before = 0.0
        var candidate = first
        while candidate < taken {
            let cost = before + replay(from: candidate, variance: r, diffusion: q, tau: tau, modeTime: modeTime, keep: false)
            if cost < bestCost {
                bestCost = cost
                best = candidate
            }
            candidate += 1
            before += entry(at: candidate).cost
        }
        _ = replay(from: best, variance: r, diffusion: q, tau: tau, modeTime: modeTime, keep: true)
        up = 0
        down = 0
        upOnset = taken
        downOnset = taken
    }

    /// Starts again from the estimate after reading `start` with `u` opened up, takes the later
    /// readings again (keeping the results in the ring when `keep`), and returns their cost.
    private mutating func replay(
        from start: Int, variance r: Double, diffusion q: Double, tau: Double, modeTime: Double, keep: Bool
    ) -> Double {
        let e = entry(at: start)
        var estimate = LagEstimate(reading: e.x, variance: r, settlingSpread: 0)
        estimate.x = e.x
        estimate.u = e.u
        estimate.pxx = e.pxx
        estimate.pxu = e.pxu
        estimate.puu = e.puu + spread * spread
        var cost = 0.0
        var n = start + 1
        while n <= taken {
            var entry = entry(at: n)
            let step = LagStep(dt: entry.dt, tau: tau, modeTime: modeTime)
            let (normalised, s) = estimate.advance(step, diffusion: q, reading: entry.y, variance: r)
            cost += normalised + log(s)
            if keep {
                entry.x = estimate.x
                entry.u = estimate.u
                entry.pxx = estimate.pxx
                entry.pxu = estimate.pxu
                entry.puu = estimate.puu
                entry.surprise = normalised
                entry.innovationVariance = s
                store(entry, at: n)
            }
            n += 1
        }
        if keep { self.estimate = estimate }
        return cost
    }

    @inline(__always)
    private func entry(at n: Int) -> Entry {
        withUnsafeBytes(of: ring) { $0.load(fromByteOffset: (n & (Self.capacity - 1)) * MemoryLayout<Entry>.stride, as: Entry.self) }
    }

    @inline(__always)
    private mutating func store(_ e: Entry, at n: Int) {
        withUnsafeMutableBytes(of: &ring) {
            $0.storeBytes(of: e, toByteOffset: (n & (Self.capacity - 1)) * MemoryLayout<Entry>.stride, as: Entry.self)
        }
    }
}
