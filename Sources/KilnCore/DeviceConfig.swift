/// One device of a device map, validated.
public struct DeviceConfig: Sendable, Hashable {
    public var name: String
    public var host: String
    public var port: Int
    public var unit: Int
    public var timeout: Duration
    public var poll: Duration
    public var byteOrder: ByteOrder
    public var maxRegisters: Int
    /// Largest block for coils and discrete inputs.
    public var maxBits: Int
    public var maxGap: Int
    public var tags: [TagConfig]
    public var simulation: DeviceSimulation?
    public var location: SourceLocation?

    public init(
        name: String, host: String, port: Int = 502, unit: Int = 1,
        timeout: Duration = .milliseconds(500), poll: Duration = .seconds(1),
        byteOrder: ByteOrder = .abcd, maxRegisters: Int = 125, maxBits: Int = 2000, maxGap: Int = 8,
        tags: [TagConfig] = [], simulation: DeviceSimulation? = nil, location: SourceLocation? = nil
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.unit = unit
        self.timeout = timeout
        self.poll = poll
        self.byteOrder = byteOrder
        self.maxRegisters = maxRegisters
        self.maxBits = maxBits
        self.maxGap = maxGap
        self.tags = tags
        self.simulation = simulation
        self.location = location
    }
}

/// Scheduling policy for the poller threads.
public enum SchedulingPolicy: String, Sendable, Hashable, CaseIterable {
    case fifo
    case rr
    case other
}

/// `realtime:` in the gateway config.
public struct RealtimeConfig: Sendable, Hashable {
    public var policy: SchedulingPolicy
    /// 1–99 for fifo and rr.
    public var priority: Int
    /// mlockall(MCL_CURRENT | MCL_FUTURE) at start-up, where permitted.
    public var lockMemory: Bool

    /// The nice value of the storage threads (historian writer, alarm engine): raised above the
    /// HTTP server's when polling is real-time; left alone under `other`, where it would put
    /// storage ahead of the poll threads themselves.
    public var storageNice: Int32? { policy == .other ? nil : OSThread.storageNice }

    /// The nice value of the HTTP server's threads: between storage and ordinary threads when
    /// polling is real-time; left alone under `other`, as ``storageNice``.
    public var serviceNice: Int32? { policy == .other ? nil : OSThread.serviceNice }

    public init(policy: SchedulingPolicy = .other, priority: Int = 0, lockMemory: Bool = false) {
        self.policy = policy
        self.priority = priority
        self.lockMemory = lockMemory
    }
}

/// A loaded gateway: its settings and every device of every map it names.
///
/// A device map given on its own loads as a gateway with default settings.
public struct GatewayConfig: Sendable, Hashable {
    /// The file this configuration was loaded from.
    public var path: String
    public var realtime: RealtimeConfig
    /// The historian; nil when the gateway keeps no history.
    public var historian: HistorianConfig?
    /// How long `kiln run` may take to stop (stop polling, drain every queue, flush the
    /// historian) before it gives up, logs what it abandoned and exits 1.
    public var shutdownTimeout: Duration
    /// `alarms:`: the built-in alarms' severities, chattering, flood and shelving limits.
    public var alarms: AlarmSettings
    /// `hooks:`: where alarm transitions are delivered, each with its own outbox.
    public var hooks: [HookConfig]
    /// `remediation:`: commands run over SSH when an alarm persists; nil without the block.
    public var remediation: RemediationConfig?
    /// `pid_file:`: the lock that keeps a second `kiln run` of this gateway from starting; by
    /// default `kiln.pid` in the historian's folder, nil (no lock) without either.
    public var pidFile: String?
    /// `http:`: the HTTP API, metrics endpoint and page; nil (no server) without the block.
    public var http: HTTPConfig?
    public var devices: [DeviceConfig]

    public init(
        path: String, realtime: RealtimeConfig = RealtimeConfig(), historian: HistorianConfig? = nil,
        shutdownTimeout: Duration = .seconds(10), alarms: AlarmSettings = AlarmSettings(), hooks: [HookConfig] = [],
        remediation: RemediationConfig? = nil, devices: [DeviceConfig]
    ) {
        self.path = path
        self.realtime = realtime
        self.historian = historian
        self.shutdownTimeout = shutdownTimeout
        self.alarms = alarms
        self.hooks = hooks
        self.remediation = remediation
        self.devices = devices
    }
}
