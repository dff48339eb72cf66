import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// The conditioning of one tag: range and sentinel checks, outlier rejection, the time-exact
/// filter and fault classification, with all the state they keep between readings.
///
/// Feed it every poll of the tag in time order: ``condition(reading:unscaled:at:)`` for a value,
/// ``missed(at:)`` for a poll that brought none, ``communicationFailed(at:)`` for a poll the
/// poller reported bad. It allocates nothing per reading.
public struct TagConditioner: Sendable {
    let p: SignalParameters
    private let reasons: Reasons

    // MARK: Filter state
    private var started = false
    private var filter: InteractingLagFilter
    private var window = HampelWindow()
    /// Time of the last reading the filter took, µs.
    private var filterTime: Int64 = 0
    /// The last reading the filter took.
    private var lastAccepted = 0.0
    private var stepDt: Int64 = -1
    private var step = LagStep(dt: 0, tau: 1, modeTime: 1)

    // MARK: Output state
    private var lastUsable: Double?
    private var lastProjected: Double?

    // MARK: Rejections (spike, then rate)
    private var rejected = 0
    private var candidateFirstTime: Int64 = 0
    private var candidateFirst = 0.0
    private var candidateLastTime: Int64 = 0
    private var candidateLast = 0.0
    private var candidateCount = 0
    private var steepRun = 0

    // MARK: Change tracking (rate allowance for held registers, stuck)
    private var changeTime: Int64 = 0
    private var changeValue = 0.0
    private var flatCount = 0
    private var moved = false
    private var flatGap = 0.0
    private var flatGapDeviation = 0.0

    // MARK: Freshness
    private var freshTime: Int64?
    private var rowTime: Int64?
    private var interval0: Int64 = 0, interval1: Int64 = 0, interval2: Int64 = 0
    private var intervals = 0

    /// Rejections in a row after which a step above `max_rate` is the instrument (rate fault).
    static let persistentRejections = 3
    /// Consistent rejected readings after which the filter re-acquires the new level.
    static let reacquireReadings = 5
    /// Accepted readings in a row whose filtered slope exceeds `max_rate` for a rate fault.
    static let persistentSteepReadings = 3
    /// Standard deviations of the innovation a reading may stray beyond what `max_rate` allows.
    static let spikeDeviations = 5.5
    /// Poll periods without a fresh reading after which the value is stale.
    static let stalePeriods = 3.0

    public init(tag: TagConfig) {
        p = SignalParameters(tag: tag)
        reasons = Reasons(tag: tag, parameters: p)
        filter = InteractingLagFilter(reading: 0, parameters: p)
    }

    /// The settings this conditioner was built with have a thermal model.
    public var isThermal: Bool { p.thermal }

    // MARK: - Readings

    /// Conditions one reading.
    ///
    /// - Parameters:
    ///   - reading: the engineering value as read.
    ///   - unscaled: the register value before scale and offset, for the sentinels.
    ///   - time: when it was read, µs since the epoch.
    public mutating func condition(reading: Double, unscaled: Double?, at time: Int64) -> ConditionedReading {
        noteRow(at: time)
        guard reading.isFinite else { return withheld(.range, reasons.notANumber) }
        if !p.sentinels.isEmpty, let unscaled {
            for (i, sentinel) in p.sentinels.enumerated() where sentinel == unscaled {
                return withheld(.range, reasons.sentinels[i])
            }
        }
        if p.hasRange, reading < p.low || reading > p.high { return withheld(.range, reasons.range) }
        freshTime = time
        guard p.thermal else {
            lastUsable = reading
            return ConditionedReading(value: reading, status: .good)
        }
        guard started else {
            start(reading, at: time)
            return good(at: time)
        }
        if abs(reading - lastAccepted) <= p.flatTolerance {
            // A repeat of the last accepted reading (a register that holds its value between
            // updates, a settled quantised signal) says the value is still there, nothing about
            // its motion: the filter holds and extrapolates, only the flat run grows.
            rejected = 0
            candidateCount = 0
            steepRun = 0
            trackChange(reading, at: time)
            return stuckOr(good(at: time), at: time)
        }
        if isOutlier(reading, at: time) { return reject(reading, at: time) }
        rejected = 0
        candidateCount = 0
        accept(reading, at: time)
        let trend = steepTrend()
        trackChange(reading, at: time)
        if trend { return withheld(.rate, reasons.rate) }
        return stuckOr(good(at: time), at: time)
    }

    /// `reading`, unless the reading has been flat suspiciously long.
    private func stuckOr(_ reading: ConditionedReading, at time: Int64) -> ConditionedReading {
        guard let stuck = stuckFor(at: time) else { return reading }
        if stuck >= 2 * p.stuck { return withheld(.stuck, reasons.stuckBad) }
        return ConditionedReading(
            value: lastUsable, status: .uncertainLastUsableValue, fault: .stuck, projected: lastProjected,
            reason: reasons.stuck)
    }

    /// A poll that brought no reading (a missed poll in a replayed trace).
    public mutating func missed(at time: Int64) -> ConditionedReading {
        noteRow(at: time)
        guard let freshTime else {
            return ConditionedReading(value: nil, status: .badWaitingForInitialData, reason: reasons.noReading)
        }
        if Double(time - freshTime) * 1e-6 >= Self.stalePeriods * period * (1 - 1e-9) {
            return ConditionedReading(
                value: lastUsable, status: .uncertainNoCommunicationLastUsableValue, fault: .stale,
                projected: lastProjected, reason: reasons.stale)
        }
        return ConditionedReading(value: lastUsable, status: .good, projected: lastProjected)
    }

    /// A poll the poller reported bad: counted as a poll, the reading's status passes through.
    public mutating func communicationFailed(at time: Int64) {
        noteRow(at: time)
    }

    /// Whether no poll at all (fresh, missed or failed) came for three poll periods by `time`:
    /// a stalled poller or a dropped batch, which only a sweep by the clock can notice.
    public func isOverdue(at time: Int64) -> Bool {
        guard let rowTime else { return false }
        return Double(time - rowTime) * 1e-6 >= Self.stalePeriods * period
    }

    /// Whether a poll period has passed between `earlier` and `time`.
    public func isPeriodOver(since earlier: Int64, at time: Int64) -> Bool {
        Double(time - earlier) * 1e-6 >= period
    }

    /// The stale reading `missed(at:)` would give, without counting a poll.
    public func staleReading() -> ConditionedReading {
        ConditionedReading(
            value: lastUsable, status: .uncertainNoCommunicationLastUsableValue, fault: .stale,
            projected: lastProjected, reason: reasons.stale)
    }

    // MARK: - Filter

    private mutating func start(_ y: Double, at time: Int64) {
        started = true
        filter = InteractingLagFilter(reading: y, parameters: p)
        window.removeAll()
        window.append(y, at: time)
        filterTime = time
        lastAccepted = y
        changeTime = time
        changeValue = y
        flatCount = 1
        flatGap = 0
        flatGapDeviation = 0
        steepRun = 0
        rejected = 0
        candidateCount = 0
    }

    /// A reading is rejected when its step from the filtered value implies a rate above
    /// `max_rate` beyond the noise, and the Hampel test on the raw readings agrees. The time
    /// allowed is counted from the reading's last change, so a register that updates only now
    /// and then may catch up in one step.
    private func isOutlier(_ y: Double, at time: Int64) -> Bool {
        let since = Double(max(time - changeTime, time - filterTime, 0)) * 1e-6
        let deviation = (p.measurementVariance + filter.pxx).squareRoot()
        let bound = p.maxRate * since + Self.spikeDeviations * deviation + p.quantum
        guard abs(y - filter.x) > bound else { return false }
        return window.isOutlier(
            y, at: time, since: changeTime, maxRate: p.maxRate, k: Self.spikeDeviations,
            floor: p.measurementVariance.squareRoot(), quantum: p.quantum)
    }

    private mutating func accept(_ y: Double, at time: Int64) {
        let dt = max(time - filterTime, 0)
        if dt != stepDt {
            stepDt = dt
            step = LagStep(dt: Double(dt) * 1e-6, tau: p.tau, modeTime: p.modeTime)
        }
        filter.update(step, reading: y, parameters: p)
        window.append(y, at: time)
        filterTime = time
        lastAccepted = y
    }

    /// Spike while the rejections are few; a rate fault once they persist; and once the
    /// rejected readings agree with each other for a while at a rate physics allows, the filter
    /// starts over from them (the instrument jumped and now reads steadily).
    private mutating func reject(_ y: Double, at time: Int64) -> ConditionedReading {
        rejected += 1
        let tolerance = Self.spikeDeviations * (2 * p.measurementVariance).squareRoot() + p.quantum
        if candidateCount > 0,
            abs(y - candidateLast) <= p.maxRate * Double(time - candidateLastTime) * 1e-6 + tolerance
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
                reason: reasons.spike)
        }
        let span = Double(candidateLastTime - candidateFirstTime) * 1e-6
        if candidateCount >= Self.reacquireReadings,
            abs(candidateLast - candidateFirst) <= p.maxRate * span + tolerance
        {
            start(y, at: time)
            return good(at: time)
        }
        return withheld(.rate, reasons.rate)
    }

    /// Whether the filtered slope has stayed above `max_rate` (with a margin for its own
    /// uncertainty) for a few readings: a drift faster than the process can move.
    private mutating func steepTrend() -> Bool {
        let slope = abs(filter.u - filter.x) / p.tau
        let deviation = filter.gapVariance.squareRoot() / p.tau
        if slope > 1.2 * p.maxRate + 5 * deviation {
            steepRun += 1
        } else {
            steepRun = 0
        }
        return steepRun >= Self.persistentSteepReadings
    }

    // MARK: - Stuck

    private mutating func trackChange(_ y: Double, at time: Int64) {
        if abs(y - changeValue) > p.flatTolerance {
            moved = true
            changeTime = time
            changeValue = y
            flatCount = 1
            flatGap = filter.u - filter.x
            flatGapDeviation = filter.gapVariance.squareRoot()
        } else {
            flatCount += 1
        }
    }

    /// Seconds the reading has been flat when that is suspect, else nil.
    ///
    /// Suspect only after the reading moved before, and when either the noise floor makes so
    /// many identical readings improbable (below 10⁻⁹ for a live sensor), or the filter saw the
    /// reading on its way somewhere (a first-order approach still under way) and it should have
    /// moved by several quanta and noise floors since.
    private func stuckFor(at time: Int64) -> Double? {
        guard p.stuck > 0, moved else { return nil }
        let flat = Double(time - changeTime) * 1e-6
        guard flat >= p.stuck else { return nil }
        if flatCount >= p.flatSamplesForNoise { return flat }
        let expected = abs(flatGap) * -expm1(-flat / p.tau)
        let margin = 3 * p.quantum + 4 * flatGapDeviation + 3 * p.noise + p.flatTolerance
        return expected > margin ? flat : nil
    }

    // MARK: - Output

    /// The filtered value, extrapolated along the lag to `time` when the filter last took a
    /// reading earlier.
    private mutating func good(at time: Int64) -> ConditionedReading {
        var x = filter.x
        if time > filterTime {
            x = filter.u + (filter.x - filter.u) * exp(-Double(time - filterTime) * 1e-6 / p.tau)
        }
        let reach = p.maxRate * p.tau
        let projected = min(max(filter.u, x - reach), x + reach)
        lastUsable = x
        lastProjected = projected
        return ConditionedReading(value: x, status: .good, projected: projected)
    }

    private func withheld(_ fault: Fault, _ reason: String) -> ConditionedReading {
        ConditionedReading(value: nil, status: .badSensorFailure, fault: fault, reason: reason)
    }

    // MARK: - Freshness

    /// The poll period staleness counts in: the configured one, or the trace's typical
    /// interval when readings come slower than configured.
    private var period: Double {
        var typical = 0.0
        if intervals >= 3 {
            let (a, b, c) = (interval0, interval1, interval2)
            typical = Double(max(min(a, b), min(max(a, b), c))) * 1e-6
        }
        return max(p.poll, typical)
    }

    private mutating func noteRow(at time: Int64) {
        if let rowTime, time > rowTime {
            interval2 = interval1
            interval1 = interval0
            interval0 = time - rowTime
            intervals += 1
        }
        rowTime = time
    }
}

/// The reasons a tag's readings can carry, built once.
struct Reasons: Sendable {
    let range: String
    let sentinels: [String]
    let notANumber = "not a number"
    let spike = "spike: a step faster than max_rate, rejected"
    let rate = "rate above max_rate persists"
    let stuck: String
    let stuckBad: String
    let stale = "no fresh reading for 3 poll periods"
    let noReading = "no reading yet"

    init(tag: TagConfig, parameters p: SignalParameters) {
        range = "out of range [\(Value.format(p.low)), \(Value.format(p.high))]"
        sentinels = p.sentinels.map { "sentinel value \(Value.format($0))" }
        let stuck = tag.conditioning.stuck.map(DurationText.format) ?? "0s"
        self.stuck = "stuck: no change beyond noise and quantisation for \(stuck)"
        self.stuckBad = "stuck: no change beyond noise and quantisation for twice \(stuck)"
    }
}
