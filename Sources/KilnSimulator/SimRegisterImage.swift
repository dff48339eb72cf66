import CModbus
import KilnCore

/// One simulated device's four Modbus tables, as a libmodbus `modbus_mapping_t` that
/// `modbus_reply` serves directly.
///
/// Each table covers, from its lowest to its highest address, the addresses the device's tags
/// use; gaps between tags read as zero, and requests beyond either end get exception 2 from
/// libmodbus. Not thread-safe: ``SimDevice`` keeps it behind a mutex.
struct SimRegisterImage: ~Copyable {
    let mapping: UnsafeMutablePointer<modbus_mapping_t>
    /// Per tag: a client has written its registers, so the model no longer drives it.
    var held: [Bool]

    init(device: DeviceConfig) throws(SimulatorError) {
        func bounds(_ kind: RegisterKind) -> (start: UInt32, count: UInt32) {
            let tags = device.tags.filter { $0.register == kind }
            guard let low = tags.map(\.address).min(), let high = tags.map(\.endAddress).max() else {
                return (0, 0)
            }
            return (UInt32(low), UInt32(high - low + 1))
        }
        for tag in device.tags where tag.address < 0 || tag.endAddress > 0xFFFF || tag.count < 1 {
            throw SimulatorError(
                .invalidMap,
                "\(device.name).\(tag.name): addresses \(tag.address)…\(tag.endAddress) are outside 0…65535")
        }
        let coils = bounds(.coil)
        let discrete = bounds(.discrete)
        let holding = bounds(.holding)
        let input = bounds(.input)
        guard
            let mapping = modbus_mapping_new_start_address(
                coils.start, coils.count, discrete.start, discrete.count,
                holding.start, holding.count, input.start, input.count)
        else {
            throw SimulatorError(.invalidMap, "\(device.name): cannot allocate its register image")
        }
        self.mapping = mapping
        self.held = Array(repeating: false, count: device.tags.count)
    }

    deinit { modbus_mapping_free(mapping) }

    /// Writes `value` into the registers (or bit) of `tag`, encoded per its type and byte order.
    mutating func write(_ value: Value, tag: TagConfig) {
        let m = mapping.pointee
        switch tag.register {
        case .coil, .discrete:
            let isCoil = tag.register == .coil
            let offset = tag.address - Int(isCoil ? m.start_bits : m.start_input_bits)
            guard let table = isCoil ? m.tab_bits : m.tab_input_bits,
                offset >= 0, offset < Int(isCoil ? m.nb_bits : m.nb_input_bits)
            else { return }
            table[offset] = (value.number ?? 0) != 0 ? 1 : 0
        case .holding, .input:
            let isHolding = tag.register == .holding
            let offset = tag.address - Int(isHolding ? m.start_registers : m.start_input_registers)
            let count = Int(isHolding ? m.nb_registers : m.nb_input_registers)
            guard let table = isHolding ? m.tab_registers : m.tab_input_registers,
                offset >= 0, offset + tag.count <= count
            else { return }
            let words = Decoding.encode(value, tag: tag, current: table[offset])
            for (i, word) in words.prefix(tag.count).enumerated() { table[offset + i] = word }
        }
    }

    /// True when every address of `span` is inside the served table, as libmodbus checks it.
    func covers(_ span: SimRequest.Span) -> Bool {
        let m = mapping.pointee
        let (start, count): (Int32, Int32) =
            switch span.register {
            case .coil: (m.start_bits, m.nb_bits)
            case .discrete: (m.start_input_bits, m.nb_input_bits)
            case .holding: (m.start_registers, m.nb_registers)
            case .input: (m.start_input_registers, m.nb_input_registers)
            }
        return span.count > 0 && span.start >= Int(start) && span.start + span.count <= Int(start) + Int(count)
    }

    /// The registers of `tag`, as served now (for tests and diagnostics).
    func words(of tag: TagConfig) -> [UInt16] {
        let m = mapping.pointee
        switch tag.register {
        case .coil, .discrete:
            let isCoil = tag.register == .coil
            let offset = tag.address - Int(isCoil ? m.start_bits : m.start_input_bits)
            guard let table = isCoil ? m.tab_bits : m.tab_input_bits else { return [] }
            return [UInt16(table[offset])]
        case .holding, .input:
            let isHolding = tag.register == .holding
            let offset = tag.address - Int(isHolding ? m.start_registers : m.start_input_registers)
            guard let table = isHolding ? m.tab_registers : m.tab_input_registers else { return [] }
            return (0..<tag.count).map { table[offset + $0] }
        }
    }
}
