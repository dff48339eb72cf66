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
public struct TagConditioner: Sendable {
    let p: SignalParameters
    let texts: ReasonTexts

    // MARK: Filter
    var started = false
    /// The filters and the outlier statistics: most of a tag's state, and used only by tags with
    /// a thermal model, so they live on the heap, allocated only for those (a gateway of 20,000
    /// plain tags would otherwise carry ~70 MB of unused filter state). Copy-on-write keeps
    /// value semantics. Each accessor reaches one field through the box, never the whole state.
    private var filterStateBox: FilterStateBox?
    /// The box, copied first if another value shares it.
    @inline(__always)
    private mutating func uniqueFilterState() -> FilterStateBox {
        if !isKnownUniquelyReferenced(&filterStateBox!) {
            filterStateBox = FilterStateBox(filterStateBox!.state.pointee)
        }
        return filterStateBox!
    }
    /// The smoothing filter: a few hypotheses about when the settling value last stepped.
    var filter: ChangepointLagFilter {
        _read { yield filterStateBox!.state.pointee.filter }
        _modify { yield &uniqueFilterState().state.pointee.filter }
    }
    /// Hampel's scale of the recent innovations, for the outlier gate.
    var innovations: HampelScale {
        _read { yield filterStateBox!.state.pointee.innovations }
        _modify { yield &uniqueFilterState().state.pointee.innovations }
    }
    /// The noise the readings show, in case the configured one is missing or too low.
    var noiseFloor: NoiseFloor {
        _read { yield filterStateBox!.state.pointee.noiseFloor }
        _modify { yield &uniqueFilterState().state.pointee.noiseFloor }
    }
    /// Time of the last reading the filter took, µs, and that reading.
    var filterTime: Int64 = 0
    var lastAccepted = 0.0
    /// The filter before the last reading it took, and whether that reading was a stretch (a
    /// step that used over half of what the gate allowed): if the next reading fits the filter
    /// as it was before and not as it is, that reading was a spike that slipped through.
    var previousFilter: ChangepointLagFilter {
        _read { yield filterStateBox!.state.pointee.previousFilter }
        _modify { yield &uniqueFilterState().state.pointee.previousFilter }
    }
    /// The measurement variance the filter smooths with: the configured noise floor (with
    /// quantisation) while the noise the readings show (``NoiseFloor``, once it has seen
    /// ``settledNoiseBlocks`` blocks of nine, or three when it is off by over four times) is
    /// within a factor ``noiseBand`` of it (in variance); beyond, the measured one, brought back
    /// to the edge of that band. A `noise` set too high would otherwise smooth away real motion,
    /// one set too low follow the noise. When `noise` was left out (0), the measured noise, if
    /// larger than the quantisation.
    var filterVariance: Double
    /// The measurement variance the fault checks judge by: the configured or the measured,
    /// whichever is larger (a measured noise only ever widens what counts as normal).
    var variance: Double
    /// The innovations' variance over the model's (see ``noteInnovation(_:predictedVariance:)``).
    var innovationScale = 1.0
    /// Repeats of the last accepted reading in a row.
    var repeatRun = 0
    var previousTime: Int64 = 0
    var previousAccepted = 0.0
    var lastWasStretch = false
    /// The transition for the last Δt seen, reused while the polls keep their period.
    var stepDt: Int64 = -1
    var step = LagStep(dt: 0, tau: 1, modeTime: 1)
    /// The last transition computed in full; a Δt within τ/1000 of its own is derived from it.
    var baseDt: Int64 = -1
    var baseStep = LagStep(dt: 0, tau: 1, modeTime: 1)

    // MARK: Output
    var lastUsable: Double?
    var lastProjected: Double?

    // MARK: Rejections (spike, then rate)
    var rejected = 0
    var candidateFirstTime: Int64 = 0
    var candidateFirst = 0.0
    var candidateLastTime: Int64 = 0
    var candidateLast = 0.0
    var candidateCount = 0
    var steepRun = 0

    // MARK: Change tracking (the rate allowance of held registers, stuck)
    var changeTime: Int64 = 0
    var changeValue = 0.0
    var flatCount = 0
    var moved = false
    var flatGap = 0.0
    var flatGapVariance = 0.0
    var lastGapVariance = Double.infinity

    // MARK: Freshness
    var freshTime: Int64?
    var missedRun = 0
    var rowTime: Int64?
    var interval0: Int64 = 0
    var interval1: Int64 = 0
    var interval2: Int64 = 0
    var intervals = 0

    public init(tag: TagConfig) {
        p = SignalParameters(tag: tag)
        texts = ReasonTexts(tag: tag)
        filterVariance = p.measurementVariance
        variance = p.measurementVariance
        if p.thermal { filterStateBox = FilterStateBox(FilterState(parameters: p)) }
    }

    /// The tag has a thermal model (else only range, sentinel and communication checks apply).
    public var isThermal: Bool { p.thermal }

    /// The operator's words for `reason`, nil for none.
    public func text(for reason: ConditioningReason) -> String? { texts.text(for: reason) }

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
        if p.sentinelCount > 0, let unscaled, let index = sentinelIndex(unscaled) {
            return withheld(.range, .sentinel(index))
        }
        if p.hasRange, reading < p.low || reading > p.high { return withheld(.range, .outOfRange) }
        guard p.thermal else {
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
        missedRun += 1
        if p.thermal { noiseFloor.gap() }
        if missedRun >= Int(Self.stalePeriods) || time.seconds(since: freshTime) >= Self.stalePeriods * period {
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
        if unscaled == p.sentinel0 { return 0 }
        if unscaled == p.sentinel1 { return 1 }
        if unscaled == p.sentinel2 { return 2 }
        if unscaled == p.sentinel3 { return 3 }
        guard p.sentinelCount > 4 else { return nil }
        return texts.sentinelValues.firstIndex(of: unscaled)
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

/// The part of a tag's conditioning state that only tags with a thermal model use.
struct FilterState: Sendable {
    var filter: ChangepointLagFilter
    var previousFilter: ChangepointLagFilter
    var innovations = HampelScale()
    var noiseFloor = NoiseFloor()

    init(parameters p: SignalParameters) {
        filter = ChangepointLagFilter(reading: 0, variance: p.measurementVariance, parameters: p)
        previousFilter = filter
    }
}

/// Heap storage for ``FilterState``, reached through a pointer: the per-sample path touches a
/// dozen fields, and a class's stored property would cost a dynamic exclusivity check on each.
///
/// `@unchecked Sendable` for the reason Array's storage may be: it is written only through
/// TagConditioner's copy-on-write accessor, which copies it first whenever it is shared, so a
/// box that two values (possibly on two threads) can see is never written.
final class FilterStateBox: @unchecked Sendable {
    let state: UnsafeMutablePointer<FilterState>

    init(_ initial: FilterState) {
        state = .allocate(capacity: 1)
        state.initialize(to: initial)
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }
}
