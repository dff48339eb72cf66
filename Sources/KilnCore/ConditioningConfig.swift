/// Per-tag signal conditioning (issue 3): `range`, `sentinels`, `thermal`, `stuck` in a tag.
public struct ConditioningConfig: Sendable, Hashable {
    /// The instrument's valid engineering range.
    public var range: ClosedRange<Double>?
    /// Raw register values (before scale and offset) that mean "no reading".
    public var sentinels: [Double]
    public var thermal: ThermalConfig?
    /// No change beyond noise and quantisation for this long → suspect.
    public var stuck: Duration?

    public init(
        range: ClosedRange<Double>? = nil, sentinels: [Double] = [], thermal: ThermalConfig? = nil,
        stuck: Duration? = nil
    ) {
        self.range = range
        self.sentinels = sentinels
        self.thermal = thermal
        self.stuck = stuck
    }
}

/// The thermal inertia of a sensor and the mass it sits in.
public struct ThermalConfig: Sendable, Hashable {
    /// Time constant of the first-order lag.
    public var tau: Duration
    /// Largest physically possible rate of change, engineering units per second.
    public var maxRate: Double
    /// Expected noise floor, engineering units.
    public var noise: Double

    public init(tau: Duration, maxRate: Double, noise: Double) {
        self.tau = tau
        self.maxRate = maxRate
        self.noise = noise
    }
}

/// Per-tag historian settings (issue 4): `historian: { deadband, compression, max_interval }`.
public struct TagHistorianConfig: Sendable, Hashable {
    /// Exception deviation (PI's ExcDev): changes smaller than this are not stored.
    public var deadband: Double?
    /// Swinging-door compression deviation (PI's CompDev).
    public var compression: Double?
    /// Never more than this between stored points.
    public var maxInterval: Duration?

    public init(deadband: Double? = nil, compression: Double? = nil, maxInterval: Duration? = nil) {
        self.deadband = deadband
        self.compression = compression
        self.maxInterval = maxInterval
    }
}

/// The gateway's `historian:` section (issue 4).
public struct HistorianConfig: Sendable, Hashable {
    /// The SQLite file, relative paths resolved against the gateway config's directory.
    public var path: String
    /// Commit at least this often.
    public var flush: Duration
    /// Raw rows older than this are compacted into blocks.
    public var rawWindow: Duration
    /// Blocks older than this are dropped; nil keeps everything.
    public var retention: Duration?

    public init(
        path: String, flush: Duration = .seconds(1), rawWindow: Duration = .seconds(86_400),
        retention: Duration? = nil
    ) {
        self.path = path
        self.flush = flush
        self.rawWindow = rawWindow
        self.retention = retention
    }
}
