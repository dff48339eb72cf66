/// One tag of a device map, validated.
public struct TagConfig: Sendable, Hashable {
    public var name: String
    public var register: RegisterKind
    /// 0-based protocol address.
    public var address: Int
    public var type: DataType
    public var byteOrder: ByteOrder
    /// For a bool inside a holding or input register: the bit, 0 = least significant.
    public var bit: Int?
    /// For strings: the register count (two ASCII bytes per register, high byte first).
    public var length: Int?
    public var scale: Double
    public var offset: Double
    public var unit: String?
    /// The tag's scan period (its own `poll`, else its device's).
    public var poll: Duration
    /// How the simulated plant drives this tag (`kiln simulate`); ignored by the gateway.
    public var simulation: TagSimulation?
    /// Range, sentinel, thermal and stuck settings of the conditioning stage.
    public var conditioning: ConditioningConfig
    /// How the historian stores this tag; nil stores every sample.
    public var historian: TagHistorianConfig?
    public var location: SourceLocation?

    public init(
        name: String, register: RegisterKind, address: Int, type: DataType,
        byteOrder: ByteOrder = .abcd, bit: Int? = nil, length: Int? = nil,
        scale: Double = 1, offset: Double = 0, unit: String? = nil,
        poll: Duration = .seconds(1), simulation: TagSimulation? = nil,
        conditioning: ConditioningConfig = ConditioningConfig(), historian: TagHistorianConfig? = nil,
        location: SourceLocation? = nil
    ) {
        self.name = name
        self.register = register
        self.address = address
        self.type = type
        self.byteOrder = byteOrder
        self.bit = bit
        self.length = length
        self.scale = scale
        self.offset = offset
        self.unit = unit
        self.poll = poll
        self.simulation = simulation
        self.conditioning = conditioning
        self.historian = historian
        self.location = location
    }

    /// Registers (or bits) this tag occupies.
    public var count: Int {
        if register.isBit { return 1 }
        return type.registerCount(length: length)
    }

    /// The last address the tag occupies.
    public var endAddress: Int { address + count - 1 }
}

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
    public var devices: [DeviceConfig]

    public init(
        path: String, realtime: RealtimeConfig = RealtimeConfig(), historian: HistorianConfig? = nil,
        shutdownTimeout: Duration = .seconds(10), devices: [DeviceConfig]
    ) {
        self.path = path
        self.realtime = realtime
        self.historian = historian
        self.shutdownTimeout = shutdownTimeout
        self.devices = devices
    }
}
