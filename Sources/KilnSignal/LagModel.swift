#if canImport(Glibc)
    import Glibc
#endif

/// The first-order lag the conditioner models: the reading `x` relaxes towards the settling
/// value `u` with time constant τ (dx/dt = (u − x)/τ), and `u` wanders as a slow random walk
/// between steps. `u` is in the state because it is exactly what a first-order sensor is heading
/// for: with it the filter follows a heating vessel's exponential approach without lag, and `u`
/// is the projected settling value the alarms want (see ``ChangepointLagFilter``).
///
/// This is its transition over one interval Δt, computed once per distinct Δt.
struct LagStep: Sendable {
    /// exp(−Δt/τ) and 1 − exp(−Δt/τ).
    var a: Double
    var b: Double
    /// Process noise per unit diffusion of the settling value.
    var qxx: Double
    var qxu: Double
    var quu: Double
    /// Probability of a mode switch within Δt.
    var switchProbability: Double

    init(dt: Double, tau: Double, modeTime: Double) {
        let h = dt / tau
        let a = exp(-h)
        // 1 − e^(−h) by series where the closed form cancels; one exp per distinct Δt (and
        // ``advanced(by:tau:modeTime:)`` for Δt that jitter) keeps real-time polls cheap.
        let b = h < 1e-2 ? h * (1 - h / 2 * (1 - h / 3 * (1 - h / 4))) : 1 - a
        // 1 − e^(−Δt/modeTime), with modeTime a multiple of τ.
        let m = dt / modeTime
        let switching = m < 1e-2 ? m * (1 - m / 2 * (1 - m / 3 * (1 - m / 4))) : -expm1(-m)
        self.init(dt: dt, tau: tau, a: a, b: b, switchProbability: switching)
    }

    /// The rest from e^(−Δt/τ), 1 − e^(−Δt/τ) and the switch probability.
    private init(dt: Double, tau: Double, a: Double, b: Double, switchProbability: Double) {
        let h = dt / tau
        self.a = a
        self.b = b
        // ∫₀^Δt (1 − e^(−s/τ))² ds and ∫₀^Δt (1 − e^(−s/τ)) ds.
        if h < 1e-3 {
            qxx = tau * h * h * h * (1.0 / 3 - h / 4)
            qxu = tau * h * h * (0.5 - h / 6)
        } else {
            qxx = tau * (h - 2 * b + b * (1 + a) / 2)
            qxu = tau * (h - b)
        }
        quu = dt
        self.switchProbability = switchProbability
    }

    /// Largest |δ|/τ for ``advanced(by:tau:modeTime:)``.
    static let advanceLimit = 1e-3

    /// The transition over Δt + `delta` (this one being over Δt), without an exp:
    /// e^(−δ/τ) = 1 − ε + ε²/2 − ε³/6 + ε⁴/24 for ε = δ/τ is exact to double precision while
    /// |ε| ≤ ``advanceLimit`` (the next term is below 1e-17). A poll whose reply time jitters
    /// by a millisecond then costs a few multiplications, not two calls into libm.
    func advanced(by delta: Double, tau: Double, modeTime: Double) -> LagStep {
        // 1 − e^(−ε), by series.
        func oneMinusExp(_ e: Double) -> Double { e * (1 - e / 2 * (1 - e / 3 * (1 - e / 4))) }
        let decay = oneMinusExp(delta / tau)
        return LagStep(
            dt: quu + delta, tau: tau, a: a * (1 - decay), b: b + a * decay,
            switchProbability: switchProbability + (1 - switchProbability) * oneMinusExp(delta / modeTime))
    }
}
