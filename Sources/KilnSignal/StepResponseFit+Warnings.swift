extension StepResponseFit {
    /// A way the trace falls short of the fit made from it: the numbers come out, but one of
    /// them is not what the sensor does. Each description says what is wrong and what to record.
    public enum Warning: Sendable, Hashable, CustomStringConvertible {
        /// Fewer than ``baselineReadings`` readings before the step: the trace starts with the
        /// reading already moving, so `initial` is where it was, not where it settled, and
        /// `max_rate` comes out too low.
        case noBaseline(readings: Int)
        /// The readings before the step drift by `drift` over `seconds`: the trace starts in
        /// the tail of an earlier transient.
        case driftingBaseline(drift: Double, seconds: Double)
        /// Less than three time constants of trace after the step: τ and the final level are
        /// extrapolated.
        case shortSettling(seconds: Double, tau: Double)
        /// Fewer than ``transientReadings`` readings within the first τ after the step: the
        /// readings are too sparse to show the curve.
        case sparseReadings(readings: Int, tau: Double)

        public var description: String {
            let f = StepResponseFit.format
            switch self {
            case .noBaseline(let readings):
                return "the trace starts mid-transient: \(readings) \(readings == 1 ? "reading" : "readings") "
                    + "before the step, so the level before it (and max_rate) are not known; record the reading "
                    + "steady for at least \(baselineReadings) readings before changing the heat input"
            case .driftingBaseline(let drift, let seconds):
                return "the trace starts mid-transient: the reading drifts by \(f(drift)) over the \(f(seconds))s "
                    + "before the step, so the level before it (and max_rate) are off; record from a settled "
                    + "reading, at least three time constants after any earlier change"
            case .shortSettling(let seconds, let tau):
                return "the trace holds \(f(seconds))s after the step, \(f(seconds / tau)) time constants of "
                    + "tau \(f(tau))s: tau and the final level are extrapolated; record at least three time "
                    + "constants (\(f(3 * tau))s) after the change"
            case .sparseReadings(let readings, let tau):
                return "only \(readings) \(readings == 1 ? "reading" : "readings") within the first time constant "
                    + "after the step (tau \(f(tau))s): too few to show the curve; record at least one reading "
                    + "every \(f(tau / 10))s"
            }
        }

        /// The warning with its levels multiplied by `unit` (the fit works in scaled levels).
        func scaled(by unit: Double) -> Warning {
            guard case .driftingBaseline(let drift, let seconds) = self else { return self }
            return .driftingBaseline(drift: drift * unit, seconds: seconds)
        }
    }

    /// Readings a settled baseline needs before the step.
    public static let baselineReadings = 5
    /// Readings the first τ after the step needs to show the curve.
    public static let transientReadings = 5

    /// What the trace `t`, `y` lacks for the fit (`before` readings before `step`; `size` the
    /// step's size; τ and noise as fitted).
    static func warnings(
        _ t: [Double], _ y: [Double], before: Int, step: Double, tau: Double, noise: Double, size: Double
    ) -> [Warning] {
        var warnings: [Warning] = []
        if before < baselineReadings {
            warnings.append(.noBaseline(readings: before))
        } else if let drift = baselineDrift(t[..<before], y[..<before]) {
            // The least-squares drift's standard deviation is noise·√(12/n) for evenly spaced
            // readings: beyond four of those, and a twentieth of the step, it is a trend.
            let spread = noise * (12 / Double(before)).squareRoot()
            if abs(drift) > max(4 * spread, abs(size) / 20) {
                warnings.append(.driftingBaseline(drift: abs(drift), seconds: t[before - 1] - t[0]))
            }
        }
        let last = t[t.count - 1]
        if last - step < 3 * tau {
            warnings.append(.shortSettling(seconds: max(last - step, 0), tau: tau))
        }
        let transient = t[before...].prefix { $0 < step + tau }.count
        if transient < transientReadings {
            warnings.append(.sparseReadings(readings: transient, tau: tau))
        }
        return warnings
    }

    /// The change across the baseline of a straight line fitted to it (least squares); nil when
    /// its times do not spread.
    static func baselineDrift(_ t: ArraySlice<Double>, _ y: ArraySlice<Double>) -> Double? {
        let n = Double(t.count)
        let meanT = t.reduce(0, +) / n
        let meanY = y.reduce(0, +) / n
        var stt = 0.0
        var sty = 0.0
        for (ti, yi) in zip(t, y) {
            stt += (ti - meanT) * (ti - meanT)
            sty += (ti - meanT) * (yi - meanY)
        }
        guard stt > 0, let first = t.first, let last = t.last else { return nil }
        return sty / stt * (last - first)
    }
}
