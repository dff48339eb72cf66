#if canImport(Glibc)
    import Glibc
#endif

/// The smoothing filter: two first-order-lag Kalman filters that interact (IMM, Blom and
/// Bar-Shalom), one for a process that holds its course and one for a process that changes it.
///
/// Why this filter. The issue offers a time-exact exponential filter or a one-state Kalman filter
/// on the first-order lag. Both are exact for any Δt, but a one-state filter can only trade
/// noise against lag with one time constant τ_f: a τ_f long enough to average noise (EMA-like,
/// τ_f ≈ noise/max_rate and up) lags a heating vessel by slope·τ_f, which on a fast approach
/// is many times the noise floor, so it hides the excursion it should show. Taking the lag's
/// input, the settling value `u`, into the state removes that lag (a first-order approach is
/// then the model itself, not an error), and the model that fits the data picks the effective
/// τ_f sample by sample:
/// - *quiet*: `u` diffuses by 10⁻³·noise² per τ, so in a steady stretch the filter averages
///   over many τ (τ_f grows with the stretch, limited only by the mode switching below);
/// - *manoeuvring*: `u` diffuses by k·(max_rate·τ)² per τ (k = 0.2, see
///   ``SignalParameters/manoeuvreShare``), on the order of the largest change physics allows,
///   so a real excursion is followed at once. Its steady-state Kalman gain makes it a lag-free
///   (slope-tracking) filter of time constant
///   τ_f = √((noise / (√k·max_rate)) · √(τ·Δt)),
///   the geometric mean of the time the reading needs at √k·max_rate to cross one noise floor
///   and √(τ·Δt): e.g. 2.1 s for noise 0.15, max_rate 0.7/s, τ 90 s, Δt 1 s. Because it tracks the
///   slope, τ_f costs no lag on an approach; it only sets how fast a change of course shows;
/// - the modes switch with a mean sojourn of 4 τ, and each sample's likelihood under each
///   model sets the weights.
/// The result is never slower than physics allows (no hidden excursions) and never noisier
/// than needed. Both models' transitions are the exact discretisation of the lag over the real
/// Δt, so missed polls and irregular sampling cost nothing but the information they lack.
struct InteractingLagFilter: Sendable {
    var quiet: LagEstimate
    var moving: LagEstimate
    /// Probability of the quiet model.
    var quietWeight: Double
    /// The combined estimate.
    var x: Double
    var u: Double
    var pxx: Double
    var pxu: Double
    var puu: Double

    /// Starts at reading `y`, known to within `variance`, heading anywhere physics allows.
    init(reading y: Double, variance: Double, parameters p: SignalParameters) {
        let spread = p.maxRate * p.tau / 2
        quiet = LagEstimate(reading: y, variance: variance, settlingSpread: spread)
        moving = quiet
        quietWeight = 0.5
        x = y
        u = y
        pxx = quiet.pxx
        pxu = quiet.pxu
        puu = quiet.puu
    }

    /// Variance of the slope estimate's numerator, (u − x).
    var gapVariance: Double { max(puu + pxx - 2 * pxu, 0) }

    /// Folds in reading `y` taken `step` after the previous one.
    ///
    /// - Parameters:
    ///   - r: the measurement variance.
    ///   - quiet, manoeuvre: the settling value's diffusion in each model.
    mutating func update(_ step: LagStep, reading y: Double, variance r: Double, quiet qq: Double, manoeuvre qm: Double)
    {
        // Mixing: each model starts from a blend of both, weighted by the chance it came from each.
        let s = step.switchProbability
        let w0 = quietWeight
        let w1 = 1 - w0
        let c0 = (1 - s) * w0 + s * w1
        let c1 = s * w0 + (1 - s) * w1
        let m00 = (1 - s) * w0 / c0
        let m01 = s * w0 / c1
        let q0 = mixed(fromQuiet: m00)
        let q1 = mixed(fromQuiet: m01)
        quiet = q0
        moving = q1

        let (n0, s0) = quiet.advance(step, diffusion: qq, reading: y, variance: r)
        let (n1, s1) = moving.advance(step, diffusion: qm, reading: y, variance: r)
        // Posterior weight of the quiet model, as a ratio to avoid underflow.
        let exponent = min(max(0.5 * (n0 - n1), -700), 700)
        let ratio = (c1 / c0) * (s0 / s1).squareRoot() * exp(exponent)
        quietWeight = min(max(1 / (1 + ratio), 1e-9), 1 - 1e-9)
        combine()
    }

    /// The blend of both models that model j starts from, `fromQuiet` being the quiet share.
    @inline(__always)
    private func mixed(fromQuiet w: Double) -> LagEstimate {
        let v = 1 - w
        let dx = quiet.x - moving.x
        let du = quiet.u - moving.u
        let spread = w * v
        var e = quiet
        e.x = w * quiet.x + v * moving.x
        e.u = w * quiet.u + v * moving.u
        e.pxx = w * quiet.pxx + v * moving.pxx + spread * dx * dx
        e.pxu = w * quiet.pxu + v * moving.pxu + spread * dx * du
        e.puu = w * quiet.puu + v * moving.puu + spread * du * du
        return e
    }

    @inline(__always)
    private mutating func combine() {
        let w = quietWeight
        let v = 1 - w
        let dx = quiet.x - moving.x
        let du = quiet.u - moving.u
        let spread = w * v
        x = w * quiet.x + v * moving.x
        u = w * quiet.u + v * moving.u
        pxx = w * quiet.pxx + v * moving.pxx + spread * dx * dx
        pxu = w * quiet.pxu + v * moving.pxu + spread * dx * du
        puu = w * quiet.puu + v * moving.puu + spread * du * du
    }
}
