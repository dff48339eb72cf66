#if canImport(Glibc)
    import Glibc
#endif

extension TagConditioner {
    /// Starts a new flat run when the reading moves beyond noise and quantisation, else grows it.
    @inline(__always)
    mutating func trackChange(_ y: Double, at time: Int64) {
        if abs(y - changeValue) > p.flatTolerance {
            moved = true
            changeTime = time
            changeValue = y
            flatCount = 1
            flatGap = filter.u - filter.x
            // The filter's confidence in the approach: the better of this change and the one
            // before, since one odd interval (a repeat, then a change) can unsettle it briefly.
            let spread = filter.gapVariance
            flatGapVariance = min(spread, lastGapVariance)
            lastGapVariance = spread
        } else {
            flatCount += 1
        }
    }

    /// `reading`, unless the reading has been flat suspiciously long: then the last usable value,
    /// uncertain, and after twice `stuck` nothing, bad.
    @inline(__always)
    func stuckOr(_ reading: ConditionedReading, at time: Int64) -> ConditionedReading {
        guard let flat = stuckFor(at: time) else { return reading }
        if flat >= 2 * p.stuck { return withheld(.stuck, .stuckLong) }
        return ConditionedReading(
            value: lastUsable, status: .uncertainLastUsableValue, fault: .stuck, projected: lastProjected,
            reason: .stuck)
    }

    /// Seconds the reading has been flat when that is suspect, else nil.
    ///
    /// Suspect only after the reading moved before, and when either the noise floor makes so
    /// many identical readings improbable (below 10⁻⁹ for a live sensor), or the filter saw the
    /// reading on its way somewhere (a first-order approach still under way) and it should have
    /// moved by several quanta and noise floors since.
    @inline(__always)
    func stuckFor(at time: Int64) -> Double? {
        guard p.stuck > 0, moved else { return nil }
        let flat = time.seconds(since: changeTime)
        guard flat >= p.stuck else { return nil }
        if flatCount >= p.flatSamplesForNoise { return flat }
        let expected = abs(flatGap) * -expm1(-flat / p.tau)
        let margin = 3 * p.quantum + 4 * flatGapVariance.squareRoot() + 3 * p.noise + p.flatTolerance
        return expected > margin ? flat : nil
    }
}
