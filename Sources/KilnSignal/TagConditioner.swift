import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// The conditioning of one tag: range and sentinel checks, outlier rejection, the time-exact
/// filter and fault classification, with all the state they keep between readings.
///
/// Feed it every poll of the tag in time order: ``condition(reading:unscaled:at:)`` for a value,
/// ``missed(at:)`` for a poll that brought none, ``communicationFailed(at:)`` for a poll the
/// poller reported bad. It allocates nothing per reading, and its state is plain numbers, laid
/// out flat so a gateway's tags sit in one contiguous array.
///
/// What every numeric tag needs (the range and sentinel checks, freshness, the last usable
/// value) is inline, 96 bytes; the thermal model's parameters, filters and fault
/// tracking (``ThermalState``) live on the heap, allocated only for the tags that
/// have one. Reason texts are not kept: ``text(for:)`` words a reason when it is printed or
/// stored.
public struct TagConditioner: Sendable {
    /// The checks every numeric tag gets.
    let checks: CheckParameters

    /// The thermal model's parameters and state; nil for a tag without one. Copy-on-write keeps
    /// value semantics; each accessor (see TagConditioner+ThermalState.swift) reaches one field
    /// through the box, never the whole state.
    var thermalBox: ThermalStateBox?

    // MARK: Freshness (stored without optionals: see the accessors below)

    /// Time of the last fresh reading, µs; `Int64.min` for none yet.
    private var freshTimeStorage = Int64.min
    /// Time of the last poll of any kind, µs; `Int64.min` for none yet.
    private var rowTimeStorage = Int64.min
    /// The last three intervals between polls, µs, newest first.
    var interval0: Int64 = 0
    var interval1: Int64 = 0
    var interval2: Int64 = 0
    /// The last usable value; NaN for none (a usable value is always finite).
    private var lastUsableStorage = Double.nan
    /// Missed polls in a row since the last fresh reading (saturating).
    var missedRun: UInt32 = 0
    /// Intervals seen between polls, counted up to 3 (all that ``period`` asks).
    var intervals: UInt8 = 0

    var freshTime: Int64? {
        get { freshTimeStorage == .min ? nil : freshTimeStorage }
        set { freshTimeStorage = newValue ?? .min }
    }
    var rowTime: Int64? {
        get { rowTimeStorage == .min ? nil : rowTimeStorage }
        set { rowTimeStorage = newValue ?? .min }
    }

    // MARK: Output

    var lastUsable: Double? {
        get { lastUsableStorage.isNaN ? nil : lastUsableStorage }
        set { lastUsableStorage = newValue ?? .nan }
    }
    /// The last projection (thermal tags only; nil for the others).
    var lastProjected: Double? {
        get { thermalBox?.state.pointee.lastProjected }
        set {
            guard thermalBox != nil else { return }
            uniqueThermal().state.pointee.lastProjected = newValue
        }
    }

    public init(tag: TagConfig) {
        checks = CheckParameters(tag: tag)
        if tag.conditioning.thermal != nil {
            thermalBox = ThermalStateBox(
                ThermalState(parameters: SignalParameters(tag: tag), stuck: tag.conditioning.stuck))
        }
    }

    /// The tag has a thermal model (else only range, sentinel and communication checks apply).
    public var isThermal: Bool { thermalBox != nil }

    // MARK: - Readings

    /// Conditions one reading.
    ///
    /// - Parameters:
    ///   - reading: the engineering value as read.
    ///   - unscaled: the register value before scale and offset, for the sentinels.
    ///   - time: when it was read, µs since the epoch.
    public mutating func condition(reading: Double, unscaled: Double?, at time: Int64) -> ConditionedReading {
        noteRow(at: time)
        // Any reply is a fresh sample: staleness is about communication, and a reading out of
        // range still came from the device.
        freshTime = time
        missedRun = 0
        guard reading.isFinite else { return withheld(.range, .notANumber) }
        if !checks.sentinels.isEmpty, let unscaled, let index = sentinelIndex(unscaled) {
            return withheld(.range, .sentinel(index))
        }
        if reading < checks.low || reading > checks.high { return withheld(.range, .outOfRange) }
        guard isThermal else {
            lastUsable = reading
            return ConditionedReading(value: reading, status: .good)
        }
        guard abs(reading) <= Self.largestThermalReading else { return withheld(.range, .beyondFilterRange) }
        let learning = gateIsOpen
        if noiseFloor.add(reading) { noiseFloorChanged() }
        // Without a configured noise floor the filter starts over once the readings have shown
        // theirs, so its uncertainty is not the overconfidence of a noise floor of 0.
        guard started, !(learning && !gateIsOpen) else {
            start(reading, at: time)
            return good()
        }
        if abs(reading - lastAccepted) <= p.repeatTolerance {
            // A repeat of the last accepted reading (a register that holds its value between
            // updates, a settled quantised signal) says the value is still there, nothing about
            // its motion: the filter holds and extrapolates, only the flat run grows.
            rejected = 0
            candidateCount = 0
            steepRun = 0
            // Where the noise floor spans the register's step, a code repeated once or twice is
            // what a live signal gives half the time: it carries the average, so the filter takes
            // it. A longer run is a register held between updates: the filter waits for its
            // change, which may then catch up in one step.
            repeatRun += 1
            if p.repeatsCarryNoise, repeatRun <= Self.noiseRepeats {
                accept(reading, at: time)
            }
            trackChange(reading, at: time)
            let result = good()
            return stuckOr(result, at: time)
        }
        if isOutlier(reading, at: time) {
            guard slippedSpikeBefore(reading, at: time) else { return reject(reading, at: time) }
            // The last reading was the spike: take the filter back to before it.
            filter = previousFilter
            filterTime = previousTime
            lastAccepted = previousAccepted
            lastWasStretch = false
        }
        rejected = 0
        candidateCount = 0
        repeatRun = 0
        accept(reading, at: time)
        let steep = !gateIsOpen && steepTrend()
        trackChange(reading, at: time)
        if steep { return withheld(.rate, .rate) }
        let result = good()
        return stuckOr(result, at: time)
    }

    /// A poll that brought no reading (a missed poll in a replayed trace): the last usable value,
    /// good while fewer than three poll periods have passed without a fresh reading, stale once
    /// three have (the contract's "no fresh sample for 3 poll periods"): from the third missed
    /// poll in a row, or three periods by the clock when rows come sparser than that.
    public mutating func missed(at time: Int64) -> ConditionedReading {
        noteRow(at: time)
        guard let freshTime, lastUsable != nil else {
            return ConditionedReading(value: nil, status: .badWaitingForInitialData, reason: .noReading)
        }
        if missedRun < .max { missedRun += 1 }
        if isThermal { noiseFloor.gap() }
        if Double(missedRun) >= Self.stalePeriods || time.seconds(since: freshTime) >= Self.stalePeriods * period {
            return staleReading()
        }
        return ConditionedReading(value: lastUsable, status: .good, projected: lastProjected)
    }

    /// A poll the poller reported bad: counted as a poll; its status passes through.
    public mutating func communicationFailed(at time: Int64) {
        noteRow(at: time)
    }

    /// The reading of a tag gone stale: its last usable value, uncertain.
    public func staleReading() -> ConditionedReading {
        ConditionedReading(
            value: lastUsable, status: .uncertainNoCommunicationLastUsableValue, fault: .stale,
            projected: lastProjected, reason: .stale)
    }

    // MARK: - Filter

    mutating func start(_ y: Double, at time: Int64) {
        started = true
        filter = ChangepointLagFilter(reading: y, variance: filterVariance, parameters: p)
        innovations.removeAll()
        filterTime = time
        lastAccepted = y
        lastWasStretch = false
        changeTime = time
        changeValue = y
        flatCount = 1
        flatGap = 0
        flatGapVariance = 0
        lastGapVariance = .infinity
        steepRun = 0
        rejected = 0
        candidateCount = 0
    }

    @inline(__always)
    mutating func accept(_ y: Double, at time: Int64) {
        let dt = max(time.elapsed(since: filterTime), 0)
        if dt != stepDt {
            stepDt = dt
            let delta = dt.seconds(since: baseDt)
            if baseDt >= 0, abs(delta) <= LagStep.advanceLimit * p.tau {
                step = baseStep.advanced(by: delta, tau: p.tau, modeTime: p.modeTime)
            } else {
                baseDt = dt
                baseStep = LagStep(dt: Double(dt) * 1e-6, tau: p.tau, modeTime: p.modeTime)
                step = baseStep
            }
        }
        let innovation = y - (step.a * filter.x + step.b * filter.u)
        innovations.append(innovation)
        // The prediction's variance, near enough for this: the reading's and the filter's (the
        // settling value's share is small over one poll).
        noteInnovation(innovation, predictedVariance: variance + filter.pxx)
        // Only a stretch can turn out to have been a spike, so only then is the filter kept.
        lastWasStretch = exceedsGate(2 * abs(y - filter.x), since: Double(dt) * 1e-6, variance: gateVariance(filter))
        if lastWasStretch {
            previousFilter = filter
        }
        previousTime = filterTime
        previousAccepted = lastAccepted
        filter.update(step, reading: y, variance: filterVariance, diffusion: p.quietDiffusion)
        filterTime = time
        lastAccepted = y
    }

    @inline(__always)
    private func sentinelIndex(_ unscaled: Double) -> Int? {
        checks.sentinels.firstIndex(of: unscaled)
    }

    // MARK: - Output

    /// The filtered value as of the last reading the filters took (a repeated reading adds no
    /// motion, so none is invented): the changepoint filter's posterior mean; the projection is
    /// its settling value, kept within what max_rate·τ allows.
    @inline(__always)
    mutating func good() -> ConditionedReading {
        let x = filter.x
        let reach = p.maxRate * p.tau
        let projected = min(max(filter.u, x - reach), x + reach)
        guard x.isFinite, projected.isFinite else {
            // Cannot happen with readings within largestThermalReading; were it to, the filter
            // would never recover, so it starts over with the next reading and this one is Bad,
            // never a Good NaN.
            started = false
            return withheld(.range, .notANumber)
        }
        lastUsable = x
        lastProjected = projected
        return ConditionedReading(value: x, status: .good, projected: projected)
    }

    @inline(__always)
    func withheld(_ fault: Fault, _ reason: ConditioningReason) -> ConditionedReading {
        ConditionedReading(value: nil, status: .badSensorFailure, fault: fault, reason: reason)
    }

    /// Repeats in a row of a quantised reading the filter takes as noise (see `repeatsCarryNoise`).
    static let noiseRepeats = 2
    /// Rejections in a row after which a step above `max_rate` is the instrument (rate fault).
    static let persistentRejections = 3
    /// Consistent rejected readings after which the filter re-acquires the new level.
    static let reacquireReadings = 5
    /// Accepted readings in a row whose filtered slope exceeds `max_rate` for a rate fault.
    static let persistentSteepReadings = 3
    /// Standard deviations of the innovation a reading may stray beyond what `max_rate` allows.
    static let spikeDeviations = 5.5
    /// Blocks of nine readings the noise floor must have seen before it can overrule `noise`.
    static let settledNoiseBlocks = 8
    /// How far (in variance) the measured noise may stray from `noise` before it overrules it.
    static let noiseBand = 1.5
    /// Weight of each reading in ``innovationScale`` (about 50 readings' memory).
    static let innovationMemory = 0.02
    /// Poll periods without a fresh reading beyond which the value is stale.
    static let stalePeriods = 3.0
    /// The largest magnitude a thermal tag's filter takes: far beyond any physical reading, and
    /// far enough below Double's limit that the filter's squares of differences stay finite.
    public static let largestThermalReading = 1e100
}
