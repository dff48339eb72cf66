import KilnCore
import Logging

/// The ISA-18.2 alarm engine: judges conditioned samples against every alarm of the config,
/// runs each alarm's state machine, and collects the events and changed records of each step
/// for the caller to persist in one transaction.
///
/// Pure: no I/O, no clock of its own (every call takes `now`, µs), no locks. One thread owns an
/// engine (the alarm sink's); `@unchecked Sendable` only lets it be built on one thread and
/// handed to that one.
public final class AlarmEngine: @unchecked Sendable {
    public let settings: AlarmSettings
    let catalog: AlarmCatalog
    /// Every alarm's state, in catalog order.
    public private(set) var records: [AlarmRecord]
    private var byPath: [String: Int]
    private let index: TagIndex
    /// Per slot: the last conditioned value and its time (finite-difference slopes).
    private var previous: [(value: Double, time: Int64)?]
    /// Per device: it does not answer (its comm alarm's condition).
    private var commBad: [Bool]
    /// Per slot: the sensor reads Bad for a sensor reason.
    private var sensorBad: [Bool]
    /// Activation times across the gateway, within the flood window.
    private var floodTimes: [Int64] = []
    public private(set) var flood = false
    /// Events made since the last ``takeOutput()``, in order.
    private var events: [AlarmEvent] = []
    private var dirty: Set<Int> = []
    private let logger: Logger
    let metrics: AlarmMetrics
    /// The poll timestamp of the last sample seen (for events a tick completes).
    private var lastSampleTime: Int64?

    /// - Parameters:
    ///   - restored: the records persisted by a previous run (by path); their state is resumed,
    ///     their identity (limits, severities) taken from `config`.
    ///   - now: the start's time (µs), for the events of alarms the config took out of service
    ///     or put back since the last run.
    public init(
        config: GatewayConfig, restored: [AlarmRecord] = [], now: Int64? = nil, logger: Logger, metrics: AlarmMetrics
    ) {
        settings = config.alarms
        catalog = AlarmCatalog(config: config)
        index = TagIndex(config)
        self.logger = logger
        self.metrics = metrics
        var records = catalog.records
        var byPath: [String: Int] = [:]
        for (i, r) in records.enumerated() { byPath[r.path] = i }
        var changedService: [(Int, Bool)] = []
        var removed: [AlarmEvent] = []
        let start = now ?? (restored.map(\.updated).max() ?? 0)
        for old in restored {
            guard let i = byPath[old.path] else {
                // The gateway's own alarms are raised at run time, not configured: kept.
                if old.kind == .system {
                    byPath[old.path] = records.count
                    records.append(old)
                } else if old.episode != nil {
                    // An alarm the config no longer has leaves the file; its open episode is
                    // closed for the hooks (out of service, cleared if it was notified), or
                    // Alertmanager would keep it firing and a pager would stay open.
                    var gone = old
                    let context = TransitionContext(now: start, by: "config", note: "removed from the config")
                    gone.setOutOfService(true, context: context, events: &removed)
                }
                continue
            }
            var r = old
            r.adoptIdentity(of: records[i])
            if r.outOfService != old.outOfService { changedService.append((i, r.outOfService)) }
            records[i] = r
        }
        self.records = records
        self.byPath = byPath
        previous = Array(repeating: nil, count: index.count)
        commBad = catalog.commAlarm.map { records[$0].condition }
        sensorBad = catalog.sensorAlarm.map { $0.map { records[$0].condition } ?? false }
        // Flood state from the restored activations.
        floodTimes = records.flatMap(\.activations).sorted()
        metrics.updateStates(records)
        // An alarm the config took out of service (`enabled: false`) or put back since the
        // last run: the transition is an event of the first commit.
        events = removed
        for (i, out) in changedService {
            let context = TransitionContext(now: start, flood: flood, by: "config")
            self.records[i].outOfService = !out
            step(i) { r, e in r.setOutOfService(out, context: context, events: &e) }
        }
    }

    /// The record of an alarm path, if any.
    public func record(path: String) -> AlarmRecord? { byPath[path].map { records[$0] } }

    public var paths: [String] { records.map(\.path) }

    // MARK: Samples

    /// Judges one batch of conditioned samples at `now` (µs).
    public func observe(_ batch: [Sample], now: Int64) {
        guard !batch.isEmpty else { return }
        updateFlood(now: now)
        // Comm per device, from the batch's samples of it: any answer is an answer.
        var seen: [Int: (bad: Bool, time: Int64, status: StatusCode)] = [:]
        for s in batch {
            guard s.device >= 0, s.device < commBad.count else { continue }
            let bad = Self.isCommFault(s)
            if let prior = seen[s.device], !prior.bad, bad { continue }
            seen[s.device] = (bad, s.timestamp, s.status)
        }
        for (d, evidence) in seen.sorted(by: { $0.key < $1.key }) {
            let i = catalog.commAlarm[d]
            records[i].status = evidence.status.name
            if needsStep(i, condition: evidence.bad) {
                let context = TransitionContext(now: now, sampleTime: evidence.time, flood: flood)
                step(i) { r, e in r.observe(condition: evidence.bad, at: evidence.time, context: context, events: &e) }
            }
            if commBad[d] != evidence.bad {
                commBad[d] = evidence.bad
                for slot in index.slots(ofDevice: d) {
                    updateSuppression(
                        slot: slot, now: now, sampleTime: evidence.time, status: evidence.status, value: nil)
                }
            }
        }
        for s in batch {
            guard let slot = index.slot(of: s) else { continue }
            lastSampleTime = s.timestamp
            let commFault = Self.isCommFault(s) || s.fault == .comm || s.fault == .stale
            if !commFault {
                let bad = s.status.isBad
                if let i = catalog.sensorAlarm[slot] {
                    records[i].status = s.status.name
                    records[i].value = s.value?.number
                    if needsStep(i, condition: bad) {
                        let context = TransitionContext(now: now, sampleTime: s.timestamp, flood: flood)
                        step(i) { r, e in r.observe(condition: bad, at: s.timestamp, context: context, events: &e) }
                    }
                }
                if sensorBad[slot] != bad {
                    sensorBad[slot] = bad
                    updateSuppression(
                        slot: slot, now: now, sampleTime: s.timestamp, status: s.status,
                        value: bad ? nil : s.value?.number)
                }
            }
            guard !catalog.processAlarms[slot].isEmpty else { continue }
            guard !s.status.isBad, s.fault != .stale, let value = s.value?.number, value.isFinite else { continue }
            for i in catalog.processAlarms[slot] {
                guard let d = catalog.definitions[i] else { continue }
                guard
                    let q = ProcessCondition.quantity(
                        d, value: value, projected: s.projected, tau: catalog.tau[slot], previous: previous[slot],
                        time: s.timestamp)
                else { continue }
                let on = ProcessCondition.holds(d, quantity: q, wasOn: records[i].condition)
                records[i].value = value
                if s.status != .good || records[i].status != "Good" { records[i].status = s.status.name }
                guard needsStep(i, condition: on) else { continue }
                let context = TransitionContext(now: now, sampleTime: s.timestamp, flood: flood)
                step(i) { r, e in r.observe(condition: on, at: s.timestamp, context: context, events: &e) }
            }
            previous[slot] = (value, s.timestamp)
        }
    }

    /// Whether a sample with this condition can change alarm `i` (the hot path skips the state
    /// machine for the usual sample that changes nothing): a new condition, or a delay pending.
    @inline(__always)
    private func needsStep(_ i: Int, condition on: Bool) -> Bool {
        let r = records[i]
        if r.outOfService { return false }
        if on != r.condition { return true }
        if on { return !r.active || r.latchedClear }
        return r.active && !r.latchedClear
    }

    /// A comm fault: the device did not answer (timeout, refused, transport, a gateway's target
    /// that failed to respond) or no poll came for three periods. A Modbus exception reply
    /// (illegal address, device failure, busy) is an answer.
    static func isCommFault(_ s: Sample) -> Bool {
        if s.fault == .stale { return true }
        guard s.fault == .comm else { return false }
        switch s.status {
        case .badTimeout, .badNotConnected, .badCommunicationError, .badNoCommunication, .badServerNotConnected:
            return true
        default: return false
        }
    }

    /// Suppresses or unsuppresses the slot's process alarms after its sensor or device changed.
    /// The event tells the sample that decided it (`status`, and `value`: nil for a withheld
    /// one, or for a device that came back, whose own sample of the tag comes next), not the
    /// alarm's last Good value.
    private func updateSuppression(slot: Int, now: Int64, sampleTime: Int64?, status: StatusCode, value: Double?) {
        let d = index.location(ofSlot: slot).device
        let on = sensorBad[slot] || commBad[d]
        for i in catalog.processAlarms[slot] where records[i].suppressed != on {
            records[i].status = status.name
            if on || value != nil { records[i].value = value }
            let context = TransitionContext(now: now, sampleTime: sampleTime, flood: flood)
            step(i) { r, e in r.setSuppressed(on, context: context, events: &e) }
        }
    }

    // MARK: Time

    /// Applies delays and shelve expiries at `now` with no sample (the sink's periodic tick).
    public func tick(now: Int64) {
        updateFlood(now: now)
        for i in records.indices {
            let r = records[i]
            let due =
                (r.condition != r.active && !r.latchedClear) || (r.condition && r.latchedClear)
                || (r.shelved && (r.shelvedUntil ?? .max) <= now)
            guard due else { continue }
            let context = TransitionContext(now: now, sampleTime: lastSampleTime, flood: flood)
            step(i) { r, e in
                r.expireShelve(context: context, events: &e)
                return r.evaluateDelays(at: now, context: context, events: &e)
            }
        }
    }

    /// The earliest time a pending delay or shelve ends (µs), for the caller's next tick.
    public func nextDeadline() -> Int64? {
        var next: Int64?
        for r in records {
            var t: Int64?
            if r.condition, !r.active { t = r.conditionSince + r.onDelay }
            if !r.condition, r.active, !r.latchedClear { t = r.conditionSince + r.offDelay }
            if r.shelved, let u = r.shelvedUntil { t = min(t ?? u, u) }
            if let t { next = min(next ?? t, t) }
        }
        return next
    }

    // MARK: The gateway's own

    /// Raises (`active`) or clears the gateway's own alarm `kiln/NAME` (a hook disabled by 410
    /// Gone, say), creating it at its first use. It then behaves as any alarm: ack, shelve,
    /// episodes, events to the hooks whose filters take it.
    ///
    /// - Parameter reason: words for the event's message (`hook ops answered 410 Gone`).
    public func setSystemAlarm(
        _ name: String, active: Bool, severity: AlarmSeverity = .major, reason: String? = nil, now: Int64
    ) {
        let path = "kiln/\(name)"
        let i: Int
        if let known = byPath[path] {
            i = known
        } else {
            guard active else { return }
            i = records.count
            byPath[path] = i
            records.append(
                AlarmRecord(path: path, name: name, kind: .system, device: nil, tag: nil, severity: severity))
            dirty.insert(i)
        }
        records[i].severity = severity
        if let reason { records[i].limitText = reason }
        let context = TransitionContext(now: now, flood: flood)
        step(i) { r, e in r.observe(condition: active, at: now, context: context, events: &e) }
    }

    /// An `escalation` event for `path` (remediation's fix did not work): sent to the hooks as
    /// part of `episode`, the alarm's state unchanged. An episode that has ended still gets its
    /// event, under its own id. Returns false for an unknown alarm.
    @discardableResult
    public func escalate(path: String, episode: String, message: String, now: Int64) -> Bool {
        guard let i = byPath[path] else { return false }
        let context = TransitionContext(now: now, sampleTime: nil, flood: flood, by: "remediation", note: message)
        if records[i].episode == episode {
            step(i) { r, e in r.emit(.escalation, context: context, events: &e) }
        } else {
            var r = records[i]
            r.episode = episode
            r.seq = 0
            var new: [AlarmEvent] = []
            r.emit(.escalation, context: context, events: &new)
            for var e in new {
                e.id = "evt_\(episode)_escalation_\(now)"
                events.append(e)
            }
        }
        return true
    }

    // MARK: Operators

    /// Applies an operator's command (its target resolved by ``resolve(_:)``).
    public func apply(_ command: AlarmCommand, now: Int64) throws(AlarmCommandError) -> [AlarmEvent] {
        let i = try resolve(command.target)
        let before = events.count
        var r = records[i]
        var new: [AlarmEvent] = []
        let context = TransitionContext(now: now, flood: flood, by: command.by, note: command.note)
        try r.apply(command, settings: settings, context: context, events: &new)
        records[i] = r
        events += new
        dirty.insert(i)
        metrics.updateStates(records)
        return Array(events[before...])
    }

    /// The record index of an alarm path or an episode id.
    public func resolve(_ id: String) throws(AlarmCommandError) -> Int {
        if let i = byPath[id] { return i }
        if let i = records.firstIndex(where: { $0.episode == id }) { return i }
        throw AlarmCommandError.unknown(id, among: records)
    }

    // MARK: Output

    /// The events and the changed records since the last call.
    public func takeOutput() -> (events: [AlarmEvent], changed: [AlarmRecord]) {
        defer {
            events.removeAll(keepingCapacity: true)
            dirty.removeAll(keepingCapacity: true)
        }
        if !events.isEmpty { metrics.updateStates(records) }
        return (events, dirty.sorted().map { records[$0] })
    }

    /// Whether output is waiting.
    public var hasOutput: Bool { !events.isEmpty || !dirty.isEmpty }

    // MARK: Steps

    /// Runs one state-machine step of alarm `i`, marks it dirty when anything persisted
    /// changed, and counts an activation (chattering, flood).
    private func step(_ i: Int, _ body: (inout AlarmRecord, inout [AlarmEvent]) -> Bool) {
        let before = records[i]
        let first = events.count
        var r = before
        let activated = body(&r, &events)
        if activated { noteActivation(&r, firstEvent: first) }
        if r != before {
            // The last value and status alone are not worth a write; timers and states are.
            var a = r
            var b = before
            a.value = nil
            a.status = nil
            b.value = nil
            b.status = nil
            if a != b || events.count > first { dirty.insert(i) }
        }
        records[i] = r
    }

    private func step(_ i: Int, _ body: (inout AlarmRecord, inout [AlarmEvent]) -> Void) {
        step(i) { r, e -> Bool in
            body(&r, &e)
            return false
        }
    }

    private func noteActivation(_ r: inout AlarmRecord, firstEvent: Int) {
        let now = r.activeSince ?? 0
        metrics.activations.increment()
        let window = settings.chatterWindow.wholeMicroseconds
        r.activations.removeAll { $0 <= now - window }
        r.activations.append(now)
        if r.activations.count >= settings.chatterCount, !r.chattering {
            r.chattering = true
            metrics.chattering.increment()
            logger.warning(
                "alarm chattering",
                metadata: [
                    "kiln.alarm": "\(r.path)", "kiln.episode": "\(r.episode ?? "")",
                    "kiln.activations": "\(r.activations.count)",
                ])
        }
        floodTimes.append(now)
        updateFlood(now: now)
        for e in firstEvent..<events.count where events[e].alarm == r.path {
            events[e].chattering = r.chattering
            events[e].flood = flood
        }
    }

    private func updateFlood(now: Int64) {
        let window = settings.floodWindow.wholeMicroseconds
        if let first = floodTimes.first, first <= now - window {
            floodTimes.removeAll { $0 <= now - window }
        }
        let on = floodTimes.count > settings.floodCount
        guard on != flood else { return }
        flood = on
        if on {
            metrics.floods.increment()
            logger.warning(
                "alarm flood",
                metadata: ["kiln.activations": "\(floodTimes.count)", "kiln.window": "\(settings.floodWindow)"])
        } else {
            logger.info("alarm flood over")
        }
    }
}
