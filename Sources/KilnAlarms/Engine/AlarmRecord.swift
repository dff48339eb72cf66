import KilnCore

/// One alarm's identity and ISA-18.2 state: what the engine keeps in memory and in the
/// `alarm_state` table, and all an operator's command needs (so `kiln alarms ack --db` works on
/// the file alone, without the gateway config).
///
/// The state is a set of flags rather than one enum, as ISA-18.2 models it: an alarm can be
/// active and shelved, or returned and suppressed; ``state`` gives the one state operators see.
public struct AlarmRecord: Sendable, Hashable {
    // MARK: Identity (from the config)

    /// `device/tag/name`, `device/tag/sensor`, `device/comm`.
    public var path: String
    public var name: String
    public var kind: AlarmKind
    public var device: String?
    public var tag: String?
    public var severity: AlarmSeverity
    /// The limit's number (nil for sensor and comm alarms).
    public var limit: Double?
    /// How the limit reads in messages: `above 85`, `rate above 0.2/s`.
    public var limitText: String?
    public var latch: Bool
    /// µs.
    public var onDelay: Int64
    public var offDelay: Int64
    /// Out of service by configuration: never evaluated, never notified.
    public var outOfService: Bool

    // MARK: State

    /// The condition after the deadband, before the delays.
    public var condition = false
    /// When `condition` last changed (µs): the on- and off-delays count from here.
    public var conditionSince: Int64 = 0
    /// The alarm is active (the condition held past its on-delay, or a latch holds it).
    public var active = false
    /// Nothing is waiting for an operator's acknowledgement.
    public var acked = true
    /// A latched alarm whose condition cleared: it stays active until acknowledged.
    public var latchedClear = false
    public var shelved = false
    /// A timed shelve's end (µs); nil with `shelved` is a one-shot shelve.
    public var shelvedUntil: Int64?
    public var shelveReason: String?
    public var suppressed = false
    /// The hooks were told `activated` and not yet `cleared`.
    public var notified = false
    /// The current episode: from leaving normal until back in normal.
    public var episode: String?
    /// The episode already had its activation (a second one opens a new episode).
    public var episodeActivated = false
    public var activeSince: Int64?
    /// The last event's sequence number within the episode.
    public var seq = 0
    /// The episode is chattering (ISA-18.2): `chatterCount` activations within the chatter window.
    public var chattering = false
    /// Recent activation times (µs), within the chatter window.
    public var activations: [Int64] = []
    /// The last value and status that decided anything.
    public var value: Double?
    public var status: String?
    /// When the state last changed (µs).
    public var updated: Int64 = 0

    public init(
        path: String, name: String, kind: AlarmKind, device: String?, tag: String?, severity: AlarmSeverity,
        limit: Double? = nil, limitText: String? = nil, latch: Bool = false, onDelay: Int64 = 0, offDelay: Int64 = 0,
        outOfService: Bool = false
    ) {
        self.path = path
        self.name = name
        self.kind = kind
        self.device = device
        self.tag = tag
        self.severity = severity
        self.limit = limit
        self.limitText = limitText
        self.latch = latch
        self.onDelay = onDelay
        self.offDelay = offDelay
        self.outOfService = outOfService
    }

    /// The one state operators see, most overriding first.
    public var state: AlarmState {
        if outOfService { return .outOfService }
        if shelved { return .shelved }
        if suppressed { return .suppressed }
        if active { return acked ? .activeAcknowledged : .activeUnacknowledged }
        return acked ? .normal : .returnedUnacknowledged
    }

    /// Shelved, suppressed or out of service: transitions are kept, not notified.
    public var isSilenced: Bool { outOfService || shelved || suppressed }

    /// Keeps the identity of `config` (a changed limit or severity takes effect) and the state of self.
    mutating func adoptIdentity(of config: AlarmRecord) {
        name = config.name
        kind = config.kind
        device = config.device
        tag = config.tag
        severity = config.severity
        limit = config.limit
        limitText = config.limitText
        latch = config.latch
        onDelay = config.onDelay
        offDelay = config.offDelay
        outOfService = config.outOfService
    }
}
