import KilnCore

/// What the historian records about a tag in its `tags` table.
public struct TagDescriptor: Sendable, Hashable {
    public var device: String
    public var tag: String
    public var unit: String?
    /// The map's data type (`float32`, `bool`, `string`, …).
    public var type: String
    public var scale: Double
    public var offset: Double

    public init(device: String, tag: String, unit: String? = nil, type: String, scale: Double = 1, offset: Double = 0) {
        self.device = device
        self.tag = tag
        self.unit = unit
        self.type = type
        self.scale = scale
        self.offset = offset
    }

    public init(device: DeviceConfig, tag: TagConfig) {
        self.init(
            device: device.name, tag: tag.name, unit: tag.unit, type: tag.type.rawValue, scale: tag.scale,
            offset: tag.offset)
    }

    /// Every tag of a gateway, in device and tag order.
    public static func all(in config: GatewayConfig) -> [[TagDescriptor]] {
        config.devices.map { device in device.tags.map { TagDescriptor(device: device, tag: $0) } }
    }

    /// `device/tag`, as `kiln export --tag` names it.
    public var path: String { device + "/" + tag }

    /// Strings cannot be compacted into blocks (which hold numbers) and have no aggregates but `count`.
    public var isText: Bool { type == DataType.string.rawValue }
    public var isBool: Bool { type == DataType.bool.rawValue }
}
