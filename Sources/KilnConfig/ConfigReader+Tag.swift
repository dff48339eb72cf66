import KilnCore
import Yams

/// What a tag takes from its device.
struct TagDefaults {
    var device: String
    var poll: Duration
    var byteOrder: ByteOrder
    var maxRegisters: Int
    var maxBits: Int
}

/// A tag that decoded cleanly, with the place of its address (overlap errors point there).
struct DecodedTag {
    var config: TagConfig
    var addressLocation: SourceLocation
}

extension ConfigReader {
    /// Decodes one entry of a device's `tags:`; nil when it has any error.
    mutating func tag(_ node: Node, defaults: TagDefaults, names: inout NameRegistry) -> DecodedTag? {
        guard let fields = fields(node, .tag) else { return nil }
        let errorsBefore = count
        let name = validName(fields, "name", .tag, what: "tag")
        if let name, let nameNode = fields["name"], let first = names.claim(name, at: location(of: nameNode)) {
            error(
                "duplicate tag name '\(name)' in device '\(defaults.device)'; first at \(first.reference(from: file))",
                at: nameNode)
        }
        let register = choice(fields, "register", RegisterKind.self)
        let type = tagType(fields, register: register)
        let address = tagAddress(fields, register: register)
        let bit = integer(fields, "bit", in: 0...15)
        let length = integer(fields, "length", in: 1...125)
        var byteOrder: ByteOrder?
        if let node = fields["byte_order"] { byteOrder = self.byteOrder(node) }
        let scale = number(fields, "scale", in: NumberLimits.scale) ?? 1
        let offset = number(fields, "offset", in: NumberLimits.offset) ?? 0
        let unit = text(fields, "unit")
        let poll = duration(fields, "poll", in: DurationLimits.poll) ?? defaults.poll

        if let type {
            checkFit(fields, register: register, type: type)
            if scale == 0, let node = fields["scale"] { error("'scale' must not be zero", at: node) }
        }
        var config = TagConfig(
            name: name ?? "", register: register ?? .holding, address: address ?? 0, type: type ?? .uint16,
            byteOrder: byteOrder ?? defaults.byteOrder, bit: bit, length: length, scale: scale, offset: offset,
            unit: unit, poll: poll, location: location(of: node))
        if let address, let type, register != nil {
            checkSpan(fields, config: config, address: address, type: type, defaults: defaults)
        }
        if let simulate = fields["simulate"], let type {
            config.simulation = tagSimulation(simulate, type: type, scale: scale, offset: offset)
        }
        if let type { config.conditioning = conditioning(fields, type: type) }
        if let node = fields["historian"] { config.historian = tagHistorian(node) }
        if fields.has("alarms"), let type {
            config.alarms = alarms(
                fields,
                context: AlarmContext(
                    tag: name ?? "", type: type, range: config.conditioning.range,
                    hasThermal: config.conditioning.thermal != nil || fields.has("thermal")))
        }
        guard count == errorsBefore, let addressNode = fields["address"] else { return nil }
        return DecodedTag(config: config, addressLocation: location(of: addressNode))
    }

    /// `type`, which coils and discrete inputs may leave out (they are bool).
    private mutating func tagType(_ fields: MappingFields, register: RegisterKind?) -> DataType? {
        if fields.has("type") { return choice(fields, "type", DataType.self) }
        guard let register else { return nil }
        if register.isBit { return .bool }
        let types = DataType.allCases.map(\.rawValue).joined(separator: ", ")
        error("\(fields.subject) is missing required key 'type' (one of \(types))", at: fields.node)
        return nil
    }

    /// `address`: 0-based, within 0…65535, and not a 1-based register number in disguise.
    private mutating func tagAddress(_ fields: MappingFields, register: RegisterKind?) -> Int? {
        if let node = fields["address"], let text = node.plainText, Self.isIntegerSyntax(text),
            Self.parseInteger(text) == nil
        {
            error("'address' must be from 0 to 65535, found \(Self.quoted(text))", at: node)
            return nil
        }
        guard let node = fields["address"], let address = integer(node, "address", in: Int.min...Int.max) else {
            return nil
        }
        let decimal = !(node.plainText ?? "").lowercased().contains("x")
        if decimal, let register,
            let protocolAddress = RegisterNumber.protocolAddress(
                forRegisterNumber: address, kind: register)
        {
            var message =
                "address \(address) looks like a 1-based register number: \(register.singular) \(address) "
                + "is protocol address \(protocolAddress); write 'address: \(protocolAddress)'"
            if address <= 65_535 {
                let hex = "0x" + String(address, radix: 16, uppercase: true)
                message += " (or \(hex) if you really mean protocol address \(address))"
            }
            error(message, at: node)
            return nil
        }
        guard (0...65_535).contains(address) else {
            error("'address' must be from 0 to 65535, found \(address)", at: node)
            return nil
        }
        return address
    }

    /// A byte order name, with the 8-letter 64-bit synonyms.
    mutating func byteOrder(_ node: Node) -> ByteOrder? {
        guard let text = node.plainText ?? node.scalar?.string else {
            error("expected a byte order for 'byte_order', found \(node.describedForMessage)", at: node)
            return nil
        }
        if let order = ByteOrder(name: text) { return order }
        let hint =
            Suggestion.nearest(to: text.uppercased(), in: ByteOrder.acceptedNames).map { "did you mean '\($0)'?" }
            ?? "expected ABCD, CDAB, BADC or DCBA (or for 64-bit values ABCDEFGH, GHEFCDAB, BADCFEHG or HGFEDCBA)"
        error("unknown byte_order '\(Self.quoted(text))'; \(hint)", at: node)
        return nil
    }

    /// The rules that tie a type to its register kind and to the keys that only some types take.
    private mutating func checkFit(_ fields: MappingFields, register: RegisterKind?, type: DataType) {
        if let register, register.isBit {
            if type != .bool, let node = fields["type"] {
                error("a \(register.singular) holds a single bit, so its type must be bool, not \(type)", at: node)
            }
            if let key = fields.keyNode("bit") {
                error(
                    "'bit' applies only to bool tags in holding or input registers; a \(register.singular) is a single bit",
                    at: key)
            }
        } else if let key = fields.keyNode("bit"), type != .bool {
            error("'bit' applies only to type bool, not \(type)", at: key)
        }
        if let key = fields.keyNode("length"), type != .string {
            error("'length' applies only to type string", at: key)
        }
        if type == .string, !fields.has("length"), let node = fields["type"] {
            error("string needs length (registers): add 'length: N' with N from 1 to 125", at: node)
        }
        if let key = fields.keyNode("byte_order"), !type.isMultiRegister {
            error("byte_order applies only to 32- and 64-bit types, not \(type)", at: key)
        }
        for key in ["scale", "offset"] where !type.isNumeric {
            if let keyNode = fields.keyNode(key) {
                error("'\(key)' applies only to numeric types, not \(type)", at: keyNode)
            }
        }
    }

    /// The tag must fit in one request and end within the address space.
    private mutating func checkSpan(
        _ fields: MappingFields, config: TagConfig, address: Int, type: DataType, defaults: TagDefaults
    ) {
        let count = config.count
        guard count > 0 else { return }
        let limit = config.register.isBit ? defaults.maxBits : defaults.maxRegisters
        let limitKey = config.register.isBit ? "max_bits" : "max_registers"
        if count > limit, let node = fields["length"] ?? fields["type"] {
            error(
                "\(type) of \(count) registers is longer than \(limitKey) (\(limit)) of device '\(defaults.device)', "
                    + "so no single request can read it",
                at: node)
        }
        if address + count - 1 > 65_535, let node = fields["address"] {
            error("tag ends at address \(address + count - 1), beyond the last address 65535", at: node)
        }
    }
}
