/// The part of a tag's conditioning that only tags with a thermal model have: the model's
/// parameters, the filters and the outlier statistics, and the fault tracking. Most of a tag's
/// state, so it lives on the heap, allocated only for those tags: a gateway of
/// 20,000 plain tags would otherwise carry tens of MB of it unused.
struct ThermalState: Sendable {
    let parameters: SignalParameters
    /// The configured `stuck` time, as the operator wrote it (for the reason's words).
    let stuck: Duration?

    // MARK: Filter
    var started = false
    /// The smoothing filter: a few hypotheses about when the settling value last stepped.
    var filter: ChangepointLagFilter
    /// The filter before the last reading it took, and whether that reading was a stretch (a
    /// step that used over half of what the gate allowed): if the next reading fits the filter
    /// as it was before and not as it is, that reading was a spike that slipped through.
    var previousFilter: ChangepointLagFilter
    /// Hampel's scale of the recent innovations, for the outlier gate.
    var innovations = HampelScale()
    /// The noise the readings show, in case the configured one is missing or too low.
    var noiseFloor = NoiseFloor()
    /// Time of the last reading the filter took, µs, and that reading.
    var filterTime: Int64 = 0
    var lastAccepted = 0.0
    /// The measurement variance the filter smooths with: the configured noise floor (with
    /// quantisation) while the noise the readings show (``NoiseFloor``, once it has seen
    /// ``TagConditioner/settledNoiseBlocks`` blocks of nine, or three when it is off by over four
    /// times) is within a factor ``TagConditioner/noiseBand`` of it (in variance); beyond, the
    /// measured one, brought back to the edge of that band. A `noise` set too high would
    /// otherwise smooth away real motion, one set too low follow the noise. When `noise` was left
    /// out (0), the measured noise, if larger than the quantisation.
    var filterVariance: Double
    /// The measurement variance the fault checks judge by: the configured or the measured,
    /// whichever is larger (a measured noise only ever widens what counts as normal).
    var variance: Double
    /// The innovations' variance over the model's (see `noteInnovation(_:predictedVariance:)`).
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

    init(parameters p: SignalParameters, stuck: Duration?) {
        parameters = p
        self.stuck = stuck
        filter = ChangepointLagFilter(reading: 0, variance: p.measurementVariance, parameters: p)
        previousFilter = filter
        filterVariance = p.measurementVariance
        variance = p.measurementVariance
    }
}

/// Heap storage for ``ThermalState``, reached through a pointer: the per-sample path touches a
/// dozen fields, and a class's stored property would cost a dynamic exclusivity check on each.
///
/// `@unchecked Sendable` for the reason Array's storage may be: it is written only through
/// TagConditioner's copy-on-write accessors, which copy it first whenever it is shared, so a
/// box that two values (possibly on two threads) can see is never written.
final class ThermalStateBox: @unchecked Sendable {
    let state: UnsafeMutablePointer<ThermalState>

    init(_ initial: ThermalState) {
        state = .allocate(capacity: 1)
        state.initialize(to: initial)
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }
}

/// The thermal state's fields, read and written as if they were TagConditioner's own. Valid
/// only for a tag with a thermal model: the paths that reach them check ``isThermal`` first.
extension TagConditioner {
    /// The box, copied first if another value shares it.
    @inline(__always)
    mutating func uniqueThermal() -> ThermalStateBox {
        if !isKnownUniquelyReferenced(&thermalBox!) {
            thermalBox = ThermalStateBox(thermalBox!.state.pointee)
        }
        return thermalBox!
    }

    /// The thermal model's constants.
    var p: SignalParameters {
        _read { yield thermalBox!.state.pointee.parameters }
    }

    var started: Bool {
        _read { yield thermalBox!.state.pointee.started }
        _modify { yield &uniqueThermal().state.pointee.started }
    }
    var filterTime: Int64 {
        _read { yield thermalBox!.state.pointee.filterTime }
        _modify { yield &uniqueThermal().state.pointee.filterTime }
    }
    var lastAccepted: Double {
        _read { yield thermalBox!.state.pointee.lastAccepted }
        _modify { yield &uniqueThermal().state.pointee.lastAccepted }
    }
    var filterVariance: Double {
        _read { yield thermalBox!.state.pointee.filterVariance }
        _modify { yield &uniqueThermal().state.pointee.filterVariance }
    }
    var variance: Double {
        _read { yield thermalBox!.state.pointee.variance }
        _modify { yield &uniqueThermal().state.pointee.variance }
    }
    var innovationScale: Double {
        _read { yield thermalBox!.state.pointee.innovationScale }
        _modify { yield &uniqueThermal().state.pointee.innovationScale }
    }
    var repeatRun: Int {
        _read { yield thermalBox!.state.pointee.repeatRun }
        _modify { yield &uniqueThermal().state.pointee.repeatRun }
    }
    var previousTime: Int64 {
        _read { yield thermalBox!.state.pointee.previousTime }
        _modify { yield &uniqueThermal().state.pointee.previousTime }
    }
    var previousAccepted: Double {
        _read { yield thermalBox!.state.pointee.previousAccepted }
        _modify { yield &uniqueThermal().state.pointee.previousAccepted }
    }
    var lastWasStretch: Bool {
        _read { yield thermalBox!.state.pointee.lastWasStretch }
        _modify { yield &uniqueThermal().state.pointee.lastWasStretch }
    }
    var stepDt: Int64 {
        _read { yield thermalBox!.state.pointee.stepDt }
        _modify { yield &uniqueThermal().state.pointee.stepDt }
    }
    var step: LagStep {
        _read { yield thermalBox!.state.pointee.step }
        _modify { yield &uniqueThermal().state.pointee.step }
    }
    var baseDt: Int64 {
        _read { yield thermalBox!.state.pointee.baseDt }
        _modify { yield &uniqueThermal().state.pointee.baseDt }
    }
    var baseStep: LagStep {
        _read { yield thermalBox!.state.pointee.baseStep }
        _modify { yield &uniqueThermal().state.pointee.baseStep }
    }
    var rejected: Int {
        _read { yield thermalBox!.state.pointee.rejected }
        _modify { yield &uniqueThermal().state.pointee.rejected }
    }
    var candidateFirstTime: Int64 {
        _read { yield thermalBox!.state.pointee.candidateFirstTime }
        _modify { yield &uniqueThermal().state.pointee.candidateFirstTime }
    }
    var candidateFirst: Double {
        _read { yield thermalBox!.state.pointee.candidateFirst }
        _modify { yield &uniqueThermal().state.pointee.candidateFirst }
    }
    var candidateLastTime: Int64 {
        _read { yield thermalBox!.state.pointee.candidateLastTime }
        _modify { yield &uniqueThermal().state.pointee.candidateLastTime }
    }
    var candidateLast: Double {
        _read { yield thermalBox!.state.pointee.candidateLast }
        _modify { yield &uniqueThermal().state.pointee.candidateLast }
    }
    var candidateCount: Int {
        _read { yield thermalBox!.state.pointee.candidateCount }
        _modify { yield &uniqueThermal().state.pointee.candidateCount }
    }
    var steepRun: Int {
        _read { yield thermalBox!.state.pointee.steepRun }
        _modify { yield &uniqueThermal().state.pointee.steepRun }
    }
    var changeTime: Int64 {
        _read { yield thermalBox!.state.pointee.changeTime }
        _modify { yield &uniqueThermal().state.pointee.changeTime }
    }
    var changeValue: Double {
        _read { yield thermalBox!.state.pointee.changeValue }
        _modify { yield &uniqueThermal().state.pointee.changeValue }
    }
    var flatCount: Int {
        _read { yield thermalBox!.state.pointee.flatCount }
        _modify { yield &uniqueThermal().state.pointee.flatCount }
    }
    var moved: Bool {
        _read { yield thermalBox!.state.pointee.moved }
        _modify { yield &uniqueThermal().state.pointee.moved }
    }
    var flatGap: Double {
        _read { yield thermalBox!.state.pointee.flatGap }
        _modify { yield &uniqueThermal().state.pointee.flatGap }
    }
    var flatGapVariance: Double {
        _read { yield thermalBox!.state.pointee.flatGapVariance }
        _modify { yield &uniqueThermal().state.pointee.flatGapVariance }
    }
    var lastGapVariance: Double {
        _read { yield thermalBox!.state.pointee.lastGapVariance }
        _modify { yield &uniqueThermal().state.pointee.lastGapVariance }
    }
    var filter: ChangepointLagFilter {
        _read { yield thermalBox!.state.pointee.filter }
        _modify { yield &uniqueThermal().state.pointee.filter }
    }
    var previousFilter: ChangepointLagFilter {
        _read { yield thermalBox!.state.pointee.previousFilter }
        _modify { yield &uniqueThermal().state.pointee.previousFilter }
    }
    var innovations: HampelScale {
        _read { yield thermalBox!.state.pointee.innovations }
        _modify { yield &uniqueThermal().state.pointee.innovations }
    }
    var noiseFloor: NoiseFloor {
        _read { yield thermalBox!.state.pointee.noiseFloor }
        _modify { yield &uniqueThermal().state.pointee.noiseFloor }
    }
}
