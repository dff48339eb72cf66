extension TagConditioner {
    /// A reading is an outlier when its step from the filtered value implies a rate above
    /// `max_rate` by more than the noise allows: beyond max_rate·Δt + 5.5 σ + one quantum, σ the
    /// filter's own uncertainty (noise floor and estimate), or Hampel's robust scale of the recent
    /// innovations when that is over twice as large (the model is off); σ widens when the
    /// innovations show more noise than configured (``noiseExcess``). Δt counts from the last
    /// reading the filter took, which for a register that repeats its value is its last change, so
    /// it may catch up in one step.
    /// (Mutating only so the call borrows `self` in place.)
    @inline(__always)
    mutating func isOutlier(_ y: Double, at time: Int64) -> Bool {
        if gateIsOpen { return false }
        let since = max(time.seconds(since: filterTime), 0)
        let step = abs(y - filter.x)
        // The filter's own spread first; Hampel's scale (a median) only when that says outlier.
        let spread = gateVariance(filter)
        guard exceedsGate(step, since: since, variance: spread) else { return false }
        let hampel = innovations.scale
        return hampel * hampel <= 4 * spread || exceedsGate(step, since: since, variance: hampel * hampel)
    }

    /// Whether `step` is beyond what the gate lets through after `since` seconds: max_rate·`since`
    /// + one quantum + 5.5 standard deviations, the deviation's square being `variance` (compared
    /// squared: this runs for every reading, twice).
    @inline(__always)
    func exceedsGate(_ step: Double, since: Double, variance: Double) -> Bool {
        let beyond = step - (p.maxRate * since + p.quantum)
        return beyond > 0 && beyond * beyond > Self.spikeDeviations * Self.spikeDeviations * variance
    }

    /// The variance of a reading's deviation from `filter`'s value: the noise floor and the
    /// filter's own uncertainty, widened by ``noiseExcess``.
    @inline(__always)
    func gateVariance(_ filter: ChangepointLagFilter) -> Double {
        (variance + filter.pxx) * noiseExcess
    }

    /// Whether the last reading the filter took was a stretch and `y` fits the filter as it was
    /// before it: then that reading, not `y`, was the spike.
    @inline(__always)
    mutating func slippedSpikeBefore(_ y: Double, at time: Int64) -> Bool {
        guard lastWasStretch else { return false }
        let since = max(time.seconds(since: previousTime), 0)
        return !exceedsGate(abs(y - previousFilter.x), since: since, variance: gateVariance(previousFilter))
    }

    /// Spike while the rejections are few; a rate fault once they persist; and once the
    /// rejected readings agree with each other for a while at a rate physics allows, the filter
    /// starts over from them (the instrument jumped and now reads steadily).
    mutating func reject(_ y: Double, at time: Int64) -> ConditionedReading {
        rejected += 1
        let tolerance = Self.spikeDeviations * (2 * variance * noiseExcess).squareRoot() + p.quantum
        if candidateCount > 0,
            abs(y - candidateLast) <= p.maxRate * time.seconds(since: candidateLastTime) + tolerance
        {
            candidateCount += 1
        } else {
            candidateCount = 1
            candidateFirst = y
            candidateFirstTime = time
        }
        candidateLast = y
        candidateLastTime = time
        if rejected < Self.persistentRejections {
            return ConditionedReading(
                value: lastUsable, status: .uncertainSensorNotAccurate, fault: .spike, projected: lastProjected,
                reason: .spike)
        }
        let span = candidateLastTime.seconds(since: candidateFirstTime)
        if candidateCount >= Self.reacquireReadings,
            abs(candidateLast - candidateFirst) <= p.maxRate * span + tolerance
        {
            start(y, at: time)
            return good()
        }
        return withheld(.rate, .rate)
    }

    /// Whether the filtered slope has stayed above `max_rate` (with a margin for its own
    /// uncertainty) for a few readings: a drift faster than the process can move.
    @inline(__always)
    mutating func steepTrend() -> Bool {
        // |u − x|/τ > 1.2·max_rate + 5·√gapVariance/τ, compared squared.
        let beyond = abs(filter.u - filter.x) - 1.2 * p.maxRate * p.tau
        if beyond > 0, beyond * beyond > 25 * filter.gapVariance * max(variance / filterVariance, 1) {
            steepRun += 1
        } else {
            steepRun = 0
        }
        return steepRun >= Self.persistentSteepReadings
    }
}

extension TagConditioner {
    /// Works out ``filterVariance`` and ``variance`` again from the noise floor, which has
    /// just changed.
    mutating func noiseFloorChanged() {
        let measured = noiseFloor.estimate * noiseFloor.estimate
        variance = max(measured, p.measurementVariance)
        if p.noise == 0 {
            filterVariance = variance
            // With nothing configured, a young estimate judges generously: the first block's
            // median of nine can come out at a third of the real noise.
            variance = max(measured * (1 + 8 / Double(noiseFloor.blocks)), p.measurementVariance)
        } else if noiseFloor.blocks >= Self.settledNoiseBlocks
            || (noiseFloor.blocks >= 3
                && (measured > 4 * p.measurementVariance || measured < p.measurementVariance / 4))
        {
            // A measured noise under half a register step says little (the readings repeat one
            // or two codes), and none at all says the sensor is stuck: only a clear one lowers it.
            let ceiling = measured > p.quantum * p.quantum / 4 ? measured * Self.noiseBand : .infinity
            filterVariance = min(max(p.measurementVariance, measured / Self.noiseBand), ceiling)
        }
    }

    /// How much noisier the readings are than the model says (1 when they are not): the gate
    /// widens by its square root, so a `noise` set below the sensor's real noise costs outlier
    /// sensitivity, not false spikes.
    @inline(__always)
    var noiseExcess: Double { max(innovationScale, 1) }

    /// Follows the innovations' variance against the one the model predicts: an exponential
    /// average over about 50 readings of z², clipped at 4 (two standard deviations of the current
    /// estimate, so a spike that slipped through moves it by at most 7%) and divided by 0.92,
    /// the mean of min(z², 4) for a Gaussian.
    @inline(__always)
    mutating func noteInnovation(_ e: Double, predictedVariance s: Double) {
        let scale = innovationScale
        let z2 = e * e / (s * scale)
        innovationScale = min(max(scale + scale * Self.innovationMemory * (min(z2, 4) * (1 / 0.92) - 1), 0.25), 1e6)
    }

    /// Without a configured noise floor, nothing is an outlier until the readings have shown theirs.
    @inline(__always)
    var gateIsOpen: Bool { p.noise == 0 && noiseFloor.estimate == 0 }
}
