/// How urgent an alarm is, lowest first (`min_severity: minor` admits minor, major and critical).
public enum AlarmSeverity: String, Sendable, Hashable, CaseIterable, Comparable {
    case info
    case warning
    case minor
    case major
    case critical

    /// 0 for info … 4 for critical.
    public var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .minor: 2
        case .major: 3
        case .critical: 4
        }
    }

    public static func < (lhs: AlarmSeverity, rhs: AlarmSeverity) -> Bool { lhs.rank < rhs.rank }
}

/// What a process alarm compares, on the conditioned value or its slope.
public enum AlarmLimit: Sendable, Hashable {
    /// Active while the conditioned value is above the limit (clears below `limit - deadband`).
    case above(Double)
    /// Active while the conditioned value is below the limit (clears above `limit + deadband`).
    case below(Double)
    /// Active while the conditioned slope, units per second, is above the limit.
    case rateAbove(Double)
    /// Active while the conditioned slope, units per second, is below the limit (a fall faster
    /// than `-limit` when the limit is negative).
    case rateBelow(Double)

    /// The limit's number.
    public var value: Double {
        switch self {
        case .above(let v), .below(let v), .rateAbove(let v), .rateBelow(let v): v
        }
    }
}

/// One process alarm of a tag (`alarms:` in a tag of a device map), judged on the conditioned
/// value.
public struct AlarmDefinition: Sendable, Hashable {
    /// Unique within its tag; `sensor` is reserved for the built-in sensor alarm.
    public var name: String
    public var limit: AlarmLimit
    /// The condition clears only this far back inside the limit.
    public var deadband: Double
    /// The condition must hold this long before the alarm activates.
    public var onDelay: Duration
    /// The condition must be gone this long before the alarm clears.
    public var offDelay: Duration
    public var severity: AlarmSeverity
    /// Fire when the thermal model's settling value would cross the limit within this horizon
    /// (tags with `thermal` only; `above`/`below` only).
    public var predict: Duration?
    /// A latched alarm stays active, once activated, until acknowledged after its condition cleared.
    public var latch: Bool
    /// Out of service by configuration (`enabled: false`): evaluated by nobody, notified to nobody.
    public var outOfService: Bool
    public var location: SourceLocation?

    public init(
        name: String, limit: AlarmLimit, deadband: Double = 0, onDelay: Duration = .zero, offDelay: Duration = .zero,
        severity: AlarmSeverity = .warning, predict: Duration? = nil, latch: Bool = false, outOfService: Bool = false,
        location: SourceLocation? = nil
    ) {
        self.name = name
        self.limit = limit
        self.deadband = deadband
        self.onDelay = onDelay
        self.offDelay = offDelay
        self.severity = severity
        self.predict = predict
        self.latch = latch
        self.outOfService = outOfService
        self.location = location
    }
}

/// The gateway's `alarms:` section: the built-in alarms' severities and the alarm-management
/// limits (ISA-18.2 chattering and flood, the longest shelve).
public struct AlarmSettings: Sendable, Hashable {
    /// Severity of the built-in `sensor` alarm of every conditioned tag.
    public var sensorSeverity: AlarmSeverity
    /// Severity of the built-in `comm` alarm of every device.
    public var commSeverity: AlarmSeverity
    /// An alarm that activates this many times within `chatterWindow` is chattering.
    public var chatterCount: Int
    public var chatterWindow: Duration
    /// More than this many activations across the gateway within `floodWindow` is a flood.
    public var floodCount: Int
    public var floodWindow: Duration
    /// The longest an operator may shelve an alarm.
    public var maxShelve: Duration

    public init(
        sensorSeverity: AlarmSeverity = .minor, commSeverity: AlarmSeverity = .major, chatterCount: Int = 3,
        chatterWindow: Duration = .seconds(60), floodCount: Int = 10, floodWindow: Duration = .seconds(600),
        maxShelve: Duration = .seconds(86_400)
    ) {
        self.sensorSeverity = sensorSeverity
        self.commSeverity = commSeverity
        self.chatterCount = chatterCount
        self.chatterWindow = chatterWindow
        self.floodCount = floodCount
        self.floodWindow = floodWindow
        self.maxShelve = maxShelve
    }
}
