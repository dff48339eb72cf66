#if canImport(Glibc)
    import Glibc
#endif

/// A first-order step response fitted to a recorded trace (`kiln tune`): the reading holds at
/// `initial` until `stepTime`, then relaxes towards `final` with time constant `tau`.
///
/// Least squares over (initial, final, stepTime, τ): for a given step time and τ the model is
/// linear in the two levels, so a grid over step time and log τ is solved exactly, then refined
/// by golden-section search; standard errors come from the Jacobian at the optimum.
public struct StepResponseFit: Sendable {
    public var initial: Double
    public var final: Double
    /// Seconds, on the trace's clock.
    public var stepTime: Double
    /// Seconds.
    public var tau: Double
    /// One standard error of τ, seconds.
    public var tauError: Double
    /// RMS of the residuals: the noise floor, engineering units.
    public var noise: Double
    /// The steepest rate of the fitted response, |final − initial| / τ, units per second.
    public var maxRate: Double
    /// One standard error of `maxRate`.
    public var maxRateError: Double
    public var count: Int
    /// True when τ came out at the edge of what the trace can show (too short to settle).
    public var atSearchLimit: Bool
    /// Why the trace cannot fully support this fit (see ``Warning``); empty for a good trace.
    public var warnings: [Warning] = []

    public enum FitError: Error, Sendable, Hashable, CustomStringConvertible {
        case tooFewReadings(Int)
        case noStep(step: Double, noise: Double)
        case beyondRange

        public var description: String {
            switch self {
            case .tooFewReadings(let n):
                "a step response needs at least 10 readings, the trace has \(n)"
            case .noStep(let step, let noise):
                "no step response in the trace: the fitted step (\(format(step))) is within five noise floors "
                    + "(\(format(noise))); record the reading across a change of heat input"
            case .beyondRange:
                "the fitted step or rate does not fit in a 64-bit float (readings near ±1.8e308); record the reading in units that keep it smaller"
            }
        }

        private func format(_ v: Double) -> String { StepResponseFit.format(v) }
    }

    /// Readings the fit left out as outliers (spikes), beyond six robust standard deviations.
    public var outliers: Int

    /// Fits `times` (seconds) and `values` (same count, in time order; pairs with a non-finite
    /// time or value are left out); readings further than six robust standard deviations from a
    /// first fit (spikes) are left out of the second.
    ///
    /// The levels are fitted scaled to about ±1 around their middle, so readings of any finite
    /// size (1e300 as well as 1e-300) fit without overflow or lost precision.
    ///
    /// - Throws: ``FitError/tooFewReadings(_:)``, ``FitError/noStep(step:noise:)``, or
    ///   ``FitError/beyondRange`` when the fitted levels or rate do not fit in a Double.
    public init(times: [Double], values: [Double]) throws(FitError) {
        var t: [Double] = []
        var y: [Double] = []
        for (time, value) in zip(times, values) where time.isFinite && value.isFinite {
            t.append(time)
            y.append(value)
        }
        let levels = Levels(y)
        let scaled = y.map(levels.scaled)
        var fit: StepResponseFit
        do {
            fit = try StepResponseFit(leastSquares: t, scaled)
            let residuals = zip(t, scaled).map { abs($1 - fit.model($0)) }
            let robust = 1.4826 * Self.median(residuals)
            let keep = residuals.indices.filter { residuals[$0] <= 6 * max(robust, 1e-300) }
            if keep.count < residuals.count, keep.count >= 10 {
                fit = try StepResponseFit(leastSquares: keep.map { t[$0] }, keep.map { scaled[$0] })
            }
        } catch .noStep(let step, let noise) {
            throw .noStep(step: step * levels.unit, noise: noise * levels.unit)
        } catch {
            throw error
        }
        fit.outliers = t.count - fit.count
        fit.initial = levels.value(fit.initial)
        fit.final = levels.value(fit.final)
        fit.noise *= levels.unit
        fit.maxRate *= levels.unit
        fit.maxRateError *= levels.unit
        fit.warnings = fit.warnings.map { $0.scaled(by: levels.unit) }
        guard fit.initial.isFinite, fit.final.isFinite, fit.noise.isFinite, fit.maxRate.isFinite else {
            throw .beyondRange
        }
        self = fit
    }

    /// The affine map between readings and the scaled levels the fit works in: a power of two
    /// brings the largest reading below 2 (exactly), the middle of the range moves to 0, and
    /// another power of two spreads what remains to within ±2.
    struct Levels {
        var outer = 1.0
        var middle = 0.0
        var inner = 1.0

        init(_ values: [Double]) {
            guard let low = values.min(), let high = values.max() else { return }
            let largest = max(abs(low), abs(high))
            if largest > 0 { outer = Self.powerOfTwo(below: largest) }
            middle = (low / outer + high / outer) / 2
            let spread = (high / outer - low / outer) / 2
            if spread > 0 { inner = Self.powerOfTwo(below: spread) }
        }

        /// Reading units per scaled unit.
        var unit: Double { outer * inner }

        func scaled(_ y: Double) -> Double { (y / outer - middle) / inner }

        func value(_ scaled: Double) -> Double { (scaled * inner + middle) * outer }

        /// The power of two at or just below `x` (so `x` over it lies in [1, 2)): twice that
        /// would overflow for the largest doubles.
        static func powerOfTwo(below x: Double) -> Double {
            Double(sign: .plus, exponent: x.exponent, significand: 1)
        }
    }

    /// The fitted response at `t` seconds.
    public func model(_ t: Double) -> Double {
        t < stepTime ? initial : final + (initial - final) * exp(-(t - stepTime) / tau)
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    private init(leastSquares times: [Double], _ values: [Double]) throws(FitError) {
        outliers = 0
        let n = min(times.count, values.count)
        guard n >= 10 else { throw .tooFewReadings(n) }
        let t = Array(times[..<n])
        let y = Array(values[..<n])
        let span = max(t[n - 1] - t[0], 1e-6)
        var intervals = zip(t.dropFirst(), t).map { $0 - $1 }.filter { $0 > 0 }
        intervals.sort()
        let typical = intervals.isEmpty ? span / Double(n) : intervals[intervals.count / 2]

        // Coarse grid on a decimated copy (at most 4000 points), then refinement on all of it.
        let stride = max(1, n / 4000)
        let ct = Swift.stride(from: 0, to: n, by: stride).map { t[$0] }
        let cy = Swift.stride(from: 0, to: n, by: stride).map { y[$0] }
        let tauLow = max(typical / 2, 1e-3)
        let tauHigh = 3 * span
        let tauSteps = 60
        let stepCandidates = min(ct.count, 200)
        var best = (sse: Double.infinity, step: t[0], tau: tauLow)
        for si in 0..<stepCandidates {
            let step = ct[0] + span * Double(si) / Double(stepCandidates)
            for ti in 0...tauSteps {
                let tau = tauLow * pow(tauHigh / tauLow, Double(ti) / Double(tauSteps))
                let sse = Self.solve(ct, cy, step: step, tau: tau).sse
                if sse < best.sse { best = (sse, step, tau) }
            }
        }
        // Refine step time and log τ in turn by golden-section search on the full data.
        var step = best.step
        var logTau = log(best.tau)
        let stepWidth = span / Double(stepCandidates)
        let tauWidth = log(tauHigh / tauLow) / Double(tauSteps)
        for _ in 0..<4 {
            logTau = Self.golden(logTau - tauWidth, logTau + tauWidth) {
                Self.solve(t, y, step: step, tau: exp($0)).sse
            }
            step = Self.golden(step - stepWidth, step + stepWidth) { Self.solve(t, y, step: $0, tau: exp(logTau)).sse }
        }
        tau = exp(logTau)
        stepTime = step
        let solution = Self.solve(t, y, step: step, tau: tau)
        initial = solution.initial
        final = solution.final
        count = n
        noise = (solution.sse / Double(max(n - 4, 1))).squareRoot()
        maxRate = abs(final - initial) / tau
        atSearchLimit = tau > 0.9 * tauHigh || tau < 1.1 * tauLow
        // A step needs readings after it and must explain most of the variation.
        let before = t.filter { $0 < step }.count
        let mean = y.reduce(0, +) / Double(n)
        let flat = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        guard abs(final - initial) > 5 * noise, n - before >= 5, flat > 4 * solution.sse else {
            throw .noStep(step: final - initial, noise: noise)
        }

        // Standard errors from the Jacobian of (initial, final, stepTime, τ).
        var jtj = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 4)
        for i in 0..<n {
            let dt = t[i] - step
            var g = [Double](repeating: 0, count: 4)
            if dt < 0 {
                g[0] = 1
            } else {
                let e = exp(-dt / tau)
                g[0] = e
                g[1] = 1 - e
                g[2] = (initial - final) * e / tau
                g[3] = (initial - final) * e * dt / (tau * tau)
            }
            for r in 0..<4 { for c in 0..<4 { jtj[r][c] += g[r] * g[c] } }
        }
        let covariance = Self.inverse(jtj)
        let variance = noise * noise
        let tauVariance = max((covariance?[3][3] ?? .infinity) * variance, 0)
        tauError = tauVariance.squareRoot()
        // max_rate = |Δ|/τ: relative errors add in quadrature (levels are far better known than τ).
        let stepSize = abs(final - initial)
        let levelError = (max((covariance?[0][0] ?? 0) + (covariance?[1][1] ?? 0), 0) * variance).squareRoot()
        maxRateError =
            maxRate
            * ((levelError / stepSize) * (levelError / stepSize) + (tauError / tau) * (tauError / tau))
            .squareRoot()
        warnings = Self.warnings(t, y, before: before, step: step, tau: tau, noise: noise, size: final - initial)
    }

    /// The levels that best fit a step at `step` with time constant `tau`, and the squared error.
    static func solve(_ t: [Double], _ y: [Double], step: Double, tau: Double) -> (
        initial: Double, final: Double, sse: Double
    ) {
        // y ≈ initial·f + final·(1 − f), f = 1 before the step and e^(−(t−step)/τ) after.
        var sff = 0.0
        var sfg = 0.0
        var sgg = 0.0
        var sfy = 0.0
        var sgy = 0.0
        var syy = 0.0
        let rate = 1 / tau
        for i in t.indices {
            let dt = t[i] - step
            let f = dt <= 0 ? 1 : exp(-dt * rate)
            let g = 1 - f
            sff += f * f
            sfg += f * g
            sgg += g * g
            sfy += f * y[i]
            sgy += g * y[i]
            syy += y[i] * y[i]
        }
        let det = sff * sgg - sfg * sfg
        guard abs(det) > 1e-12 * max(sff * sgg, 1e-300) else {
            let mean = (sfy + sgy) / max(sff + 2 * sfg + sgg, 1)
            return (mean, mean, max(syy - mean * (sfy + sgy), 0))
        }
        let a = (sfy * sgg - sgy * sfg) / det
        let b = (sgy * sff - sfy * sfg) / det
        let sse = syy - 2 * (a * sfy + b * sgy) + a * a * sff + 2 * a * b * sfg + b * b * sgg
        return (a, b, max(sse, 0))
    }

    /// The minimum of `f` on [lo, hi] by golden-section search.
    static func golden(_ lo: Double, _ hi: Double, _ f: (Double) -> Double) -> Double {
        let r = (5.0.squareRoot() - 1) / 2
        var a = lo
        var b = hi
        var c = b - r * (b - a)
        var d = a + r * (b - a)
        var fc = f(c)
        var fd = f(d)
        for _ in 0..<40 {
            if fc < fd {
                b = d
                d = c
                fd = fc
                c = b - r * (b - a)
                fc = f(c)
            } else {
                a = c
                c = d
                fc = fd
                d = a + r * (b - a)
                fd = f(d)
            }
        }
        return (a + b) / 2
    }

    /// The inverse of a small symmetric matrix by Gauss–Jordan elimination; nil when singular.
    static func inverse(_ m: [[Double]]) -> [[Double]]? {
        let n = m.count
        var a = m
        var inv = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0 } }
        for col in 0..<n {
            guard let pivot = (col..<n).max(by: { abs(a[$0][col]) < abs(a[$1][col]) }), abs(a[pivot][col]) > 1e-300
            else { return nil }
            a.swapAt(col, pivot)
            inv.swapAt(col, pivot)
            let p = a[col][col]
            for c in 0..<n {
                a[col][c] /= p
                inv[col][c] /= p
            }
            for r in 0..<n where r != col {
                let factor = a[r][col]
                guard factor != 0 else { continue }
                for c in 0..<n {
                    a[r][c] -= factor * a[col][c]
                    inv[r][c] -= factor * inv[col][c]
                }
            }
        }
        return inv
    }

    /// Three significant digits, no exponent for everyday magnitudes (10⁻⁶ up to 10¹⁵), an
    /// exponent beyond them.
    public static func format(_ v: Double) -> String {
        guard v.isFinite, v != 0 else { return v == 0 ? "0" : "\(v)" }
        let magnitude = Int(floor(log10(abs(v))))
        guard (-6...14).contains(magnitude) else {
            var buffer = [CChar](repeating: 0, count: 32)
            _ = withVaList([v]) { vsnprintf(&buffer, 32, "%.3g", $0) }
            return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
        let decimals = max(0, 2 - magnitude)
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (v * scale).rounded() / scale
        if decimals == 0 { return String(Int64(rounded)) }
        var text = String(Int64(abs(rounded)))
        var fraction = Int64((abs(rounded) * scale).rounded()) % Int64(scale)
        var digits: [Character] = []
        for _ in 0..<decimals {
            digits.append(Character(String(fraction % 10)))
            fraction /= 10
        }
        text += "." + String(digits.reversed())
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return (rounded < 0 ? "-" : "") + text
    }
}
