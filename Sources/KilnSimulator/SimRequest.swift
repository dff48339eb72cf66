import KilnCore

/// What a Modbus/TCP request addresses, read from its MBAP header and PDU, so the simulator can
/// route it by unit id and decide its faults before libmodbus builds the reply.
struct SimRequest: Equatable {
    /// A run of registers or bits of one table.
    struct Span: Equatable {
        var register: RegisterKind
        var start: Int
        var count: Int

        func overlaps(_ tag: TagConfig) -> Bool {
            tag.register == register && tag.address < start + count && start <= tag.endAddress
        }
    }

    var unit: UInt8
    var function: UInt8
    /// The span the request reads, or for single writes the one it writes.
    var span: Span?
    /// The span a write request changes (also set for function 23, read/write multiple).
    var written: Span?

    /// The MBAP header: transaction (2), protocol (2), length (2), unit (1).
    static let headerLength = 7

    /// Parses a complete ADU (header and PDU).
    init?(_ adu: UnsafeRawBufferPointer) {
        guard adu.count >= Self.headerLength + 1 else { return nil }
        func word(_ i: Int) -> Int { i + 1 < adu.count ? Int(adu[i]) << 8 | Int(adu[i + 1]) : 0 }
        unit = adu[6]
        function = adu[7]
        let address = word(8)
        let quantity = word(10)
        switch function {
        case 1: span = Span(register: .coil, start: address, count: quantity)
        case 2: span = Span(register: .discrete, start: address, count: quantity)
        case 3: span = Span(register: .holding, start: address, count: quantity)
        case 4: span = Span(register: .input, start: address, count: quantity)
        case 5: written = Span(register: .coil, start: address, count: 1)
        case 6, 22: written = Span(register: .holding, start: address, count: 1)
        case 15: written = Span(register: .coil, start: address, count: quantity)
        case 16: written = Span(register: .holding, start: address, count: quantity)
        case 23:
            span = Span(register: .holding, start: address, count: quantity)
            written = Span(register: .holding, start: word(12), count: word(14))
        default: break
        }
        if span == nil { span = written }
    }

    /// True when the request reads or writes any register of `tag`.
    func touches(_ tag: TagConfig) -> Bool {
        (span?.overlaps(tag) ?? false) || (written?.overlaps(tag) ?? false)
    }
}
