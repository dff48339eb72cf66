import KilnCore

/// What every event made by one step shares: its time, the sample behind it, the flood flag and,
/// for an operator's act, who and why.
public struct TransitionContext: Sendable {
    /// µs since the epoch.
    public var now: Int64
    /// The poll timestamp of the sample that completed the condition.
    public var sampleTime: Int64?
    public var flood: Bool
    public var by: String?
    public var note: String?

    public init(now: Int64, sampleTime: Int64? = nil, flood: Bool = false, by: String? = nil, note: String? = nil) {
        self.now = now
        self.sampleTime = sampleTime
        self.flood = flood
        self.by = by
        self.note = note
    }
}

/// Why an operator's command cannot apply.
public struct AlarmCommandError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

// MARK: - The state machine (pure: time comes in `context.now`)

extension AlarmRecord {
    /// Feeds the condition (after the deadband) as of `time`, and applies the delays.
    ///
    /// - Returns: whether the alarm activated (for chattering and flood counting).
    @discardableResult
    mutating func observe(
        condition now: Bool, at time: Int64, context: TransitionContext, events: inout [AlarmEvent]
    ) -> Bool {
        guard !outOfService else { return false }
        if now != condition {
            condition = now
            conditionSince = time
        }
        return evaluateDelays(at: time, context: context, events: &events)
    }

    /// Applies the on- and off-delays at `time` (a tick with no sample calls this too).
    @discardableResult
    mutating func evaluateDelays(at time: Int64, context: TransitionContext, events: inout [AlarmEvent]) -> Bool {
        guard !outOfService else { return false }
        if condition, !active || latchedClear, time - conditionSince >= onDelay {
            if latchedClear {
                // The condition came back before the latch was reset: still the same activation.
                latchedClear = false
                return false
            }
            activate(context: context, events: &events)
            return true
        }
        if !condition, active, !latchedClear, time - conditionSince >= offDelay {
            clear(context: context, events: &events)
        }
        return false
    }

    mutating func activate(context: TransitionContext, events: inout [AlarmEvent]) {
        active = true
        acked = false
        if episode == nil || episodeActivated {
            openEpisode(context.now)
        }
        episodeActivated = true
        activeSince = context.now
        updated = context.now
        if isSilenced {
            notified = false
            return
        }
        notified = true
        emit(.activated, context: context, events: &events)
    }

    mutating func clear(context: TransitionContext, events: inout [AlarmEvent]) {
        if latch && !acked {
            latchedClear = true
            updated = context.now
            return
        }
        if latch && acked && !latchedClear {
            // Latched and acknowledged while active: the return waits for the reset (an ack).
            latchedClear = true
            acked = false
            updated = context.now
            return
        }
        active = false
        latchedClear = false
        if isSilenced { acked = true }
        updated = context.now
        if notified {
            notified = false
            emit(.cleared, context: context, events: &events)
        }
        if shelved && shelvedUntil == nil && !active {
            // A one-shot shelve lasts until the alarm next returns to normal.
            shelved = false
            shelveReason = nil
            acked = true
            emit(.unshelved, context: context, events: &events)
        }
        closeIfNormal()
    }

    /// An operator's acknowledgement (also the reset of a latched alarm).
    mutating func acknowledge(context: TransitionContext, events: inout [AlarmEvent]) throws(AlarmCommandError) {
        guard !outOfService else { throw AlarmCommandError("\(path) is out of service") }
        guard !acked else { throw AlarmCommandError("\(path) has nothing to acknowledge (it is \(state.rawValue))") }
        acked = true
        updated = context.now
        emit(.acknowledged, context: context, events: &events)
        if latchedClear {
            active = false
            latchedClear = false
            if notified {
                notified = false
                emit(.cleared, context: TransitionContext(now: context.now, flood: context.flood), events: &events)
            }
        }
        closeIfNormal()
    }

    /// - Parameter until: a timed shelve's end (µs), nil for one-shot.
    mutating func shelve(
        until: Int64?, reason: String, context: TransitionContext, events: inout [AlarmEvent]
    ) throws(AlarmCommandError) {
        guard !outOfService else { throw AlarmCommandError("\(path) is out of service") }
        guard !shelved else { throw AlarmCommandError("\(path) is already shelved") }
        if episode == nil { openEpisode(context.now) }
        shelved = true
        shelvedUntil = until
        shelveReason = reason
        updated = context.now
        emit(.shelved, context: context, events: &events)
    }

    mutating func unshelve(context: TransitionContext, events: inout [AlarmEvent]) throws(AlarmCommandError) {
        guard shelved else { throw AlarmCommandError("\(path) is not shelved (it is \(state.rawValue))") }
        shelved = false
        shelvedUntil = nil
        shelveReason = nil
        updated = context.now
        emit(.unshelved, context: context, events: &events)
        announceIfActive(context: context, events: &events)
        closeIfNormal()
    }

    /// Ends a timed shelve whose time is up.
    mutating func expireShelve(context: TransitionContext, events: inout [AlarmEvent]) {
        guard shelved, let until = shelvedUntil, context.now >= until else { return }
        try? unshelve(context: context, events: &events)
    }

    /// The tag's sensor or its device went Bad (`on`), or came back.
    mutating func setSuppressed(_ on: Bool, context: TransitionContext, events: inout [AlarmEvent]) {
        guard on != suppressed, !outOfService else { return }
        suppressed = on
        updated = context.now
        if on {
            if episode == nil { openEpisode(context.now) }
            emit(.suppressed, context: context, events: &events)
        } else {
            emit(.unsuppressed, context: context, events: &events)
            announceIfActive(context: context, events: &events)
            closeIfNormal()
        }
    }

    /// Taken out of service (`enabled: false`) or put back. Out of service, the alarm is not
    /// evaluated: it comes back normal and judges its condition anew.
    mutating func setOutOfService(_ on: Bool, context: TransitionContext, events: inout [AlarmEvent]) {
        guard on != outOfService else { return }
        if on {
            if episode == nil { openEpisode(context.now) }
            outOfService = true
            emit(.outOfService, context: context, events: &events)
            if notified {
                notified = false
                active = false
                emit(.cleared, context: context, events: &events)
            }
            active = false
            acked = true
            latchedClear = false
            condition = false
        } else {
            outOfService = false
            emit(.inService, context: context, events: &events)
            closeIfNormal()
        }
        updated = context.now
    }

    /// After a shelve or suppression ends: an alarm that activated unseen is announced now.
    private mutating func announceIfActive(context: TransitionContext, events: inout [AlarmEvent]) {
        guard active, !notified, !isSilenced else { return }
        notified = true
        acked = false
        emit(.activated, context: context, events: &events)
    }

    private mutating func openEpisode(_ now: Int64) {
        episode = EpisodeIDs.next(now: now)
        episodeActivated = false
        chattering = false
        seq = 0
        activeSince = nil
    }

    private mutating func closeIfNormal() {
        if state == .normal, !active {
            episode = nil
            episodeActivated = false
            activeSince = nil
        }
    }

    /// Appends the event of `transition`, as the alarm now stands.
    mutating func emit(_ transition: AlarmTransition, context: TransitionContext, events: inout [AlarmEvent]) {
        if episode == nil { openEpisode(context.now) }
        let episode = self.episode ?? ""
        seq += 1
        events.append(
            AlarmEvent(
                id: "evt_\(episode)_\(seq)", transition: transition, episode: episode, alarm: path, name: name,
                kind: kind, device: device, tag: tag, severity: severity, state: state, value: value, limit: limit,
                status: status, message: message(transition, note: context.note), time: context.now,
                sampleTime: context.sampleTime, activeSince: activeSince, chattering: chattering, flood: context.flood,
                note: context.note, by: context.by, shelvedUntil: shelved ? shelvedUntil : nil))
    }

    /// For people: `boiler-1/supply_temp/high activated: above 85, value 86.2`.
    func message(_ transition: AlarmTransition, note: String?) -> String {
        var text = "\(path) \(transition.rawValue)"
        switch kind {
        case .process:
            if let limitText { text += ": \(limitText)" }
            if let value { text += ", value \(Value.format(value))" }
        case .sensor, .comm:
            if let status, status != "Good" { text += ": \(status)" }
        case .system:
            if let limitText { text += ": \(limitText)" }
        }
        if let note, !note.isEmpty { text += " (\(note))" }
        return text
    }
}
