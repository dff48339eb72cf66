/// The smoothing filter: Bayesian online changepoint detection (Adams and MacKay, 2007) over
/// first-order-lag Kalman filters, each assuming the settling value `u` last stepped at a
/// different time. Its posterior is the conditioned value, the projected settling value and the
/// slope the fault checks judge.
///
/// Why this filter. The issue offers a time-exact exponential filter or a one-state Kalman filter
/// on the first-order lag. Both are exact for any Δt, but one time constant τ_f cannot both
/// average noise and follow an approach: long enough to average, it lags a heating vessel by
/// slope·τ_f, many noise floors on a fast approach, and hides the excursion it should show. A
/// thermal reading is the first-order lag of a settling value that holds, then steps; after a
/// step at t0, x(t) = u + (x0 − u)·e^{−(t−t0)/τ} is linear in (x0, u), so a two-state Kalman
/// filter (x and u, the lag exact over each Δt) started at t0 with `u` opened up is the
/// least-squares fit of that curve: lag-free and noise-averaged, and between steps an average
/// of everything since the last one. Only t0 is unknown, and a detector that picks one either
/// comes late or restarts on noise. So the filter keeps a few hypotheses about when the last step
/// was, weighs each by how well it predicted every reading since (a step charges for itself
/// through its wider prediction) and reports their weighted average: the posterior mean, the
/// estimate with the least RMS error. τ_f is then not one number: it is as long as the readings
/// since the likeliest onset, and never longer.
///
/// Each reading, with the chance of a step within Δt (the hazard, from a mean hold of
/// ``SignalParameters/modeTimeInTau`` τ), two hypotheses are born from the current estimate: a
/// step of any size physics allows (`u` opened by max_rate·τ/2) and a small one (three noise
/// floors), so a generous `max_rate` does not make small steps costly to follow. The hypotheses
/// stay in onset order; to make room, the pair born together one reading earlier becomes one,
/// and then the neighbouring pair that differs least, weighted by their probability, is merged
/// (moments matched), which keeps the long-running average and the recent onsets alike. Every
/// transition is the exact discretisation of the lag over the real Δt, so missed polls and
/// jitter cost only the information they lack. The cost per reading is fixed (``capacity``
/// two-state Kalman updates, no allocation): on the RMS grid 6 hypotheses do as well as 8 at
/// three quarters of the cost, 4 fall behind.
struct ChangepointLagFilter: Sendable {
    /// Hypotheses kept after each reading (two of them born with it). Even: the update runs on
    /// two at a time. The table's size (6 × capacity) and the surprise tuple in `take` spell it
    /// out as literals.
    static let capacity = 6
    /// A small step's size in noise floors.
    static let smallStep = 3.0

    /// The hypotheses, oldest onset first, as six rows of ``capacity``: x, u, the covariance
    /// (xx, xu, uu) and the probability. One flat block, so the per-reading loops run over
    /// plain memory.
    private var table = InlineArray<36, Double>(repeating: 0)
    private var count = 0

    /// The posterior (all hypotheses merged) after the last reading.
    private(set) var x: Double
    private(set) var u: Double
    private(set) var pxx: Double
    private(set) var pxu: Double
    private(set) var puu: Double

    /// Variance added to `u` by a step of any size physics allows.
    private let wideStep: Double
    /// The weights are stored unnormalised; this times each is its probability.
    private var weightScale = 1.0

    /// Starts at reading `y`, known to within `variance`: at rest or heading anywhere physics
    /// allows, even odds.
    init(reading y: Double, variance r: Double, parameters p: SignalParameters) {
        let spread = p.maxRate * p.tau / 2
        wideStep = spread * spread
        x = y
        u = y
        pxx = r
        pxu = r
        puu = r
        var n = 0
        let wide = wideStep
        withUnsafeMutableBytes(of: &table) { raw in
            let h = Rows(raw)
            h.append(x: y, u: y, pxx: r, pxu: r, puu: r, weight: 0.5, count: &n)
            h.append(x: y, u: y, pxx: r, pxu: r, puu: r + wide, weight: 0.5, count: &n)
        }
        count = n
    }

    /// Variance of the slope estimate's numerator, (u − x).
    var gapVariance: Double { max(puu + pxx - 2 * pxu, 0) }

    /// Folds in reading `y` taken `step` after the previous one, with measurement variance `r`
    /// and settling-value diffusion `q` (the slow wander every hypothesis allows).
    @inline(__always)
    mutating func update(_ step: LagStep, reading y: Double, variance r: Double, diffusion q: Double) {
        var n = count
        var posterior = (x: x, u: u, pxx: pxx, pxu: pxu, puu: puu)
        let wide = wideStep
        let scale = weightScale
        var total = 0.0
        withUnsafeMutableBytes(of: &table) { raw in
            let h = Rows(raw)
            // Room for two births: the last reading's pair (same onset, two step sizes) becomes
            // one hypothesis, and if that is not enough the closest neighbours merge.
            if n > Self.capacity - 2 { h.merge(n - 2, count: &n) }
            while n > Self.capacity - 2 { h.mergeClosestPair(count: &n) }
            // Births: a step since the last reading, large or small, half the hazard each; the
            // others keep the rest (their weights normalised here, after the last reading).
            let hazard = step.switchProbability
            let keep = (1 - hazard) * scale
            for i in 0..<n { h.w[i] *= keep }
            let (bx, bu, bxx, bxu, buu) = posterior
            h.append(x: bx, u: bu, pxx: bxx, pxu: bxu, puu: buu + wide, weight: hazard / 2, count: &n)
            let small = Self.smallStep * Self.smallStep * r
            h.append(x: bx, u: bu, pxx: bxx, pxu: bxu, puu: buu + small, weight: hazard / 2, count: &n)
            (posterior, total) = h.take(y, step: step, variance: r, diffusion: q, count: n)
        }
        count = n
        // The best hypothesis keeps its prior weight over √s, so `total` is positive unless
        // every prior weight underflowed; then the weights start over, even.
        if total > 0, total.isFinite {
            weightScale = 1 / total
            (x, u, pxx, pxu, puu) = posterior
        } else {
            withUnsafeMutableBytes(of: &table) { raw in
                let h = Rows(raw)
                for i in 0..<n { h.w[i] = 1 }
                (x, u, pxx, pxu, puu) = h.moments(count: n, scale: 1 / Double(n))
            }
            weightScale = 1 / Double(n)
        }
    }

    /// e^v for each lane, v ≤ 0 (above 0 it gives 1), to a relative error below 2e-7 (ample
    /// for weights): 2^(v·log₂e) split into the nearest integer power, set in the exponent bits,
    /// and a remainder within ±½ by a 7th-degree Taylor series; below −693, e^−693 (about 1e-301,
    /// as good as 0 here). The C library's exp costs several times as much, one value at a time,
    /// and this runs for every hypothesis. The rounding uses the 2^52 trick (adding 1.5·2^52
    /// leaves an integer), which needs no conversion.
    @inline(__always)
    static func exponential(_ v: SIMD2<Double>) -> SIMD2<Double> {
        var t = v * 1.4426950408889634
        t.replace(with: -1000, where: t .< -1000)
        t.replace(with: 0, where: t .> 0)
        let magic = SIMD2<Double>(repeating: 6_755_399_441_055_744.0)  // 1.5 · 2^52
        let whole = (t + magic) - magic
        let f = (t - whole) * 0.6931471805599453
        // e^f for |f| ≤ ln2/2: Taylor to the 7th power, 1/k! as constants.
        var p = f * (1.0 / 5_040) + 1.0 / 720
        p = p * f + 1.0 / 120
        p = p * f + 1.0 / 24
        p = p * f + 1.0 / 6
        p = p * f + 0.5
        p = p * f + 1
        p = p * f + 1
        // whole + 1023 (23…1023) in the low bits of 2^52 + it, moved up into the exponent.
        let biased = unsafeBitCast(whole + 4_503_599_627_371_519, to: SIMD2<UInt64>.self)  // 2^52 + 1023
        return p * unsafeBitCast(biased &<< 52, to: SIMD2<Double>.self)
    }
}

/// The hypothesis table's rows, as pointers into it (valid only inside the closure that made it).
private struct Rows {
    let x: UnsafeMutablePointer<Double>
    let u: UnsafeMutablePointer<Double>
    let xx: UnsafeMutablePointer<Double>
    let xu: UnsafeMutablePointer<Double>
    let uu: UnsafeMutablePointer<Double>
    let w: UnsafeMutablePointer<Double>

    @inline(__always)
    init(_ raw: UnsafeMutableRawBufferPointer) {
        let base = raw.baseAddress!.assumingMemoryBound(to: Double.self)
        let c = ChangepointLagFilter.capacity
        x = base
        u = base + c
        xx = base + 2 * c
        xu = base + 3 * c
        uu = base + 4 * c
        w = base + 5 * c
    }

    @inline(__always)
    func append(x: Double, u: Double, pxx: Double, pxu: Double, puu: Double, weight: Double, count n: inout Int) {
        self.x[n] = x
        self.u[n] = u
        xx[n] = pxx
        xu[n] = pxu
        uu[n] = puu
        w[n] = weight
        n += 1
    }

    /// Hypotheses `k` and `k + 1` of `row`, as one vector.
    @inline(__always)
    func pair(_ row: UnsafeMutablePointer<Double>, _ k: Int) -> SIMD2<Double> {
        UnsafeRawPointer(row + k).loadUnaligned(as: SIMD2<Double>.self)
    }

    @inline(__always)
    func setPair(_ row: UnsafeMutablePointer<Double>, _ k: Int, _ value: SIMD2<Double>) {
        UnsafeMutableRawPointer(row + k).storeBytes(of: value, as: SIMD2<Double>.self)
    }

    /// Each hypothesis predicts and takes reading `y`, and its weight is multiplied by the
    /// prediction's likelihood N(y; prediction, s), relative to the best so none underflows
    /// needlessly. Returns the mixture's moments and the weights' total (they are left
    /// unnormalised; the mixture is normalised). Two hypotheses at a time, all ``capacity`` of
    /// them: rows beyond `count` (only before the table first fills) weigh 0 and stay 0.
    @inline(__always)
    func take(_ y: Double, step: LagStep, variance r: Double, diffusion q: Double, count n: Int) -> (
        (x: Double, u: Double, pxx: Double, pxu: Double, puu: Double), Double
    ) {
        let a = step.a
        let b = step.b
        let aa = a * a
        let ab = 2 * a * b
        let bb = b * b
        let qxx = q * step.qxx
        let qxu = q * step.qxu
        let quu = q * step.quu
        var surprise = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        return withUnsafeMutableBytes(of: &surprise) { raw in
            let z = raw.baseAddress!.assumingMemoryBound(to: Double.self)
            for k in stride(from: 0, to: ChangepointLagFilter.capacity, by: 2) {
                let px = pair(xx, k)
                let pc = pair(xu, k)
                let pu = pair(uu, k)
                let xp = a * pair(x, k) + b * pair(u, k)
                let p0 = aa * px + ab * pc + bb * pu + qxx
                let p1 = a * pc + b * pu + qxu
                let p2 = pu + quu
                let inverse = 1 / (p0 + r)
                let e = y - xp
                let kx = p0 * inverse
                let ku = p1 * inverse
                setPair(x, k, xp + kx * e)
                setPair(u, k, pair(u, k) + ku * e)
                setPair(xx, k, (1 - kx) * p0)
                setPair(xu, k, (1 - kx) * p1)
                var settling = p2 - ku * p1
                settling.replace(with: 0, where: settling .< 0)
                setPair(uu, k, settling)
                setPair(z, k, e * e * inverse)
                setPair(w, k, pair(w, k) * inverse.squareRoot())
            }
            var least = Double.infinity
            for i in 0..<n where w[i] > 0 { least = min(least, z[i]) }
            if !least.isFinite { least = 0 }
            var total = SIMD2<Double>()
            for k in stride(from: 0, to: ChangepointLagFilter.capacity, by: 2) {
                let weights = pair(w, k) * ChangepointLagFilter.exponential(-0.5 * (pair(z, k) - least))
                setPair(w, k, weights)
                total += weights
            }
            let sum = total.x + total.y
            return (moments(count: n, scale: 1 / sum), sum)
        }
    }

    /// The mixture's mean and covariance (moments matched), each weight times `scale` being
    /// its probability. One pass: the spreads are summed about the first hypothesis (not about
    /// zero, which would cancel digits) and moved to the mean at the end.
    @inline(__always)
    func moments(count n: Int, scale: Double) -> (x: Double, u: Double, pxx: Double, pxu: Double, puu: Double) {
        let x0 = x[0]
        let u0 = u[0]
        var sx = 0.0
        var su = 0.0
        var sxx = 0.0
        var sxu = 0.0
        var suu = 0.0
        for i in 0..<n {
            let dx = x[i] - x0
            let du = u[i] - u0
            let wi = w[i]
            sx += wi * dx
            su += wi * du
            sxx += wi * (xx[i] + dx * dx)
            sxu += wi * (xu[i] + dx * du)
            suu += wi * (uu[i] + du * du)
        }
        let mx = sx * scale
        let mu = su * scale
        return (
            x0 + mx, u0 + mu, max(sxx * scale - mx * mx, 0), sxu * scale - mx * mu, max(suu * scale - mu * mu, 0)
        )
    }

    /// Merges the neighbouring pair (in onset order) whose merge loses least: the smaller the
    /// pair's joint weight and the closer their readings, the less it matters. (Weighing the
    /// settling values' difference in as well measured worse: hypotheses that agree on the
    /// reading but not yet on where it heads are the ones a step's onset leaves to be told apart.)
    @inline(__always)
    func mergeClosestPair(count n: inout Int) {
        var best = 0
        var bestCost = Double.infinity
        for i in 0..<(n - 1) {
            let dx = x[i] - x[i + 1]
            let cost = w[i] * w[i + 1] / max(w[i] + w[i + 1], .leastNormalMagnitude) * dx * dx
            if cost < bestCost {
                bestCost = cost
                best = i
            }
        }
        merge(best, count: &n)
    }

    /// Merges hypothesis `i + 1` into `i` (moments matched); those after move down one.
    @inline(__always)
    func merge(_ i: Int, count n: inout Int) {
        let j = i + 1
        let total = w[i] + w[j]
        let fi = total > 0 ? w[i] / total : 0.5
        let fj = 1 - fi
        let mx = fi * x[i] + fj * x[j]
        let mu = fi * u[i] + fj * u[j]
        let dxi = x[i] - mx
        let dui = u[i] - mu
        let dxj = x[j] - mx
        let duj = u[j] - mu
        xx[i] = fi * (xx[i] + dxi * dxi) + fj * (xx[j] + dxj * dxj)
        xu[i] = fi * (xu[i] + dxi * dui) + fj * (xu[j] + dxj * duj)
        uu[i] = fi * (uu[i] + dui * dui) + fj * (uu[j] + duj * duj)
        x[i] = mx
        u[i] = mu
        w[i] = total
        for k in j..<(n - 1) {
            x[k] = x[k + 1]
            u[k] = u[k + 1]
            xx[k] = xx[k + 1]
            xu[k] = xu[k + 1]
            uu[k] = uu[k + 1]
            w[k] = w[k + 1]
        }
        n -= 1
    }
}
