/// One tag of a device map, validated.
///
/// A gateway holds one of these per configured tag for its whole life (20,000 at 1,000 devices ×
/// 20 tags), so the settings most tags leave unset (bit, length, unit, simulation, conditioning,
/// historian) live in one shared, immutable ``TagOptions`` box instead of inline: a tag with none
/// of them set points at the one default box. The properties read and write as before; a write
/// makes the tag its own box.
public struct TagConfig: Sendable, Hashable {
    // Declared widest first: Swift lays the fields out in this order, and the one-byte ones
    // last fill the optional location's tail instead of padding (104 bytes a tag, not 120).
    public var name: String
    /// 0-based protocol address.
    public var address: Int
    public var scale: Double
    public var offset: Double
    /// The tag's scan period (its own `poll`, else its device's).
    public var poll: Duration
    private var options: TagOptions.Box
    public var location: SourceLocation?
    public var register: RegisterKind
    public var type: DataType
    public var byteOrder: ByteOrder

    public init(
        name: String, register: RegisterKind, address: Int, type: DataType,
        byteOrder: ByteOrder = .abcd, bit: Int? = nil, length: Int? = nil,
        scale: Double = 1, offset: Double = 0, unit: String? = nil,
        poll: Duration = .seconds(1), simulation: TagSimulation? = nil,
        conditioning: ConditioningConfig = ConditioningConfig(), historian: TagHistorianConfig? = nil,
        alarms: [AlarmDefinition] = [], location: SourceLocation? = nil
    ) {
        self.name = name
        self.register = register
        self.address = address
        self.type = type
        self.byteOrder = byteOrder
        self.scale = scale
        self.offset = offset
        self.poll = poll
        self.options = TagOptions.Box.make(
            TagOptions(
                bit: bit, length: length, unit: unit, simulation: simulation, conditioning: conditioning,
                historian: historian, alarms: alarms))
        self.location = location
    }

    /// For a bool inside a holding or input register: the bit, 0 = least significant.
    public var bit: Int? {
        get { options.value.bit }
        set { options = options.with { $0.bit = newValue } }
    }
    /// For strings: the register count (two ASCII bytes per register, high byte first).
    public var length: Int? {
        get { options.value.length }
        set { options = options.with { $0.length = newValue } }
    }
    public var unit: String? {
        get { options.value.unit }
        set { options = options.with { $0.unit = newValue } }
    }
    /// How the simulated plant drives this tag (`kiln simulate`); ignored by the gateway.
    public var simulation: TagSimulation? {
        get { options.value.simulation }
        set { options = options.with { $0.simulation = newValue } }
    }
    /// Range, sentinel, thermal and stuck settings of the conditioning stage.
    public var conditioning: ConditioningConfig {
        get { options.value.conditioning }
        set { options = options.with { $0.conditioning = newValue } }
    }
    /// How the historian stores this tag; nil stores every sample.
    public var historian: TagHistorianConfig? {
        get { options.value.historian }
        set { options = options.with { $0.historian = newValue } }
    }

    /// The tag's process alarms (`alarms:`), judged on the conditioned value.
    public var alarms: [AlarmDefinition] {
        get { options.value.alarms }
        set { options = options.with { $0.alarms = newValue } }
    }

    /// Which options box the tag points at (for tests: tags without options share one).
    var optionsBoxIdentity: ObjectIdentifier { ObjectIdentifier(options) }

    /// Registers (or bits) this tag occupies.
    public var count: Int {
        if register.isBit { return 1 }
        return type.registerCount(length: length)
    }

    /// The last address the tag occupies.
    public var endAddress: Int { address + count - 1 }
}

/// The settings of a tag that most tags leave unset, kept out of line (see ``TagConfig``).
struct TagOptions: Sendable, Hashable {
    var bit: Int?
    var length: Int?
    var unit: String?
    var simulation: TagSimulation?
    var conditioning: ConditioningConfig
    var historian: TagHistorianConfig?
    var alarms: [AlarmDefinition] = []

    /// An immutable box: tags share one until a write gives a tag its own.
    final class Box: Sendable, Hashable {
        let value: TagOptions

        private init(_ value: TagOptions) { self.value = value }

        /// The box every tag without options shares.
        private static let unset = Box(TagOptions(conditioning: ConditioningConfig()))

        static func make(_ value: TagOptions) -> Box {
            value == unset.value ? unset : Box(value)
        }

        func with(_ change: (inout TagOptions) -> Void) -> Box {
            var copy = value
            change(&copy)
            return Box.make(copy)
        }

        static func == (lhs: Box, rhs: Box) -> Bool { lhs === rhs || lhs.value == rhs.value }
        func hash(into hasher: inout Hasher) { hasher.combine(value) }
    }
}
