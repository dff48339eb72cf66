import KilnCore
import Yams

extension ConfigReader {
    /// Decodes one entry of a map's `devices:`; nil when it has any error. Its name is claimed
    /// in `names` (shared by every map of a gateway) even when other parts are wrong, so a
    /// duplicate is still reported.
    mutating func device(_ node: Node, names: inout NameRegistry) -> DeviceConfig? {
        guard let fields = fields(node, .device) else { return nil }
        let errorsBefore = count
        let name = validName(fields, "name", .device, what: "device")
        if let name, let nameNode = fields["name"], let first = names.claim(name, at: location(of: nameNode)) {
            error("duplicate device name '\(name)'; first at \(first.reference(from: file))", at: nameNode)
        }
        var device = DeviceConfig(name: name ?? "", host: host(fields) ?? "", location: location(of: node))
        device.port = integer(fields, "port", in: 1...65_535) ?? device.port
        device.unit = integer(fields, "unit", in: 0...255) ?? device.unit
        device.timeout = duration(fields, "timeout", in: DurationLimits.timeout) ?? device.timeout
        device.poll = duration(fields, "poll", in: DurationLimits.poll) ?? device.poll
        if let node = fields["byte_order"] { device.byteOrder = byteOrder(node) ?? device.byteOrder }
        device.maxRegisters =
            integer(fields, "max_registers", in: 1...RegisterKind.holding.protocolLimit) ?? device.maxRegisters
        device.maxBits = integer(fields, "max_bits", in: 1...RegisterKind.coil.protocolLimit) ?? device.maxBits
        device.maxGap = integer(fields, "max_gap", in: 0...65_535) ?? device.maxGap
        if let simulate = fields["simulate"] { device.simulation = deviceSimulation(simulate) }

        let defaults = TagDefaults(
            device: device.name, poll: device.poll, byteOrder: device.byteOrder,
            maxRegisters: device.maxRegisters, maxBits: device.maxBits)
        var tagNames = NameRegistry()
        var decoded: [DecodedTag] = []
        if let list = list(fields, "tags") {
            if list.isEmpty, let node = fields["tags"] { error("device '\(device.name)' has no tags", at: node) }
            decoded = list.compactMap { tag($0, defaults: defaults, names: &tagNames) }
        }
        checkOverlaps(decoded)
        device.tags = decoded.map(\.config)
        return count == errorsBefore ? device : nil
    }

    private mutating func host(_ fields: MappingFields) -> String? {
        guard let node = fields["host"], let host = text(node, "host") else { return nil }
        if host.contains(where: \.isWhitespace) {
            error("host '\(host)' must not contain spaces", at: node)
            return nil
        }
        return host
    }
}
