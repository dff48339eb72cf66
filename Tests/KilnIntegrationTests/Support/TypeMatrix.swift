import KilnCore

/// One tag of the type matrix: what the peer serves, and what Kiln must read back.
struct MatrixCase {
    var tag: MapTag
    /// The value `kiln read --json` prints.
    var shown: JSONValue
    /// The engineering value the library hands downstream.
    var sample: Value
    /// What the peer encodes: the raw value before scale and offset (nil for bools).
    var raw: PeerValue?
}

/// Every type of the device-map contract in every byte order (and the 64-bit 8-letter
/// spellings), in all four tables, some scaled: the peer encodes the raw values with Python's
/// struct.pack, Kiln must decode them back exactly.
enum TypeMatrix {
    static let device = "matrix"

    /// Raw words of registers that carry bools as bits.
    static let bitWords: [(RegisterKind, Int, UInt16)] = [(.holding, 0, 0xA005), (.input, 30, 0x8000)]

    static let cases: [MatrixCase] = {
        var cases: [MatrixCase] = []
        func bool(_ name: String, _ kind: RegisterKind, _ address: Int, bit: Int? = nil, _ value: Bool) {
            cases.append(
                MatrixCase(
                    tag: MapTag(name, kind, address, .bool, bit: bit), shown: .bool(value), sample: .bool(value)))
        }
        func number(
            _ name: String, _ kind: RegisterKind, _ address: Int, _ type: DataType, _ raw: PeerValue,
            order: String? = nil, scale: Double? = nil, offset: Double? = nil, unit: String? = nil,
            poll: String? = nil, shown: JSONValue? = nil
        ) {
            let rawValue: Value
            switch raw {
            case .int(let i): rawValue = .int(i)
            case .uint(let u): rawValue = .uint(u)
            case .double(let d): rawValue = .double(type == .float32 ? Double(Float(d)) : d)
            case .string(let s): rawValue = .string(s)
            }
            let sample: Value =
                scale == nil && offset == nil ? rawValue : .double(rawValue.number! * (scale ?? 1) + (offset ?? 0))
            let plain: JSONValue
            switch raw {
            case .int(let i): plain = .int(i)
            case .uint(let u): plain = .uint(u)
            case .double(let d): plain = .double(d)
            case .string(let s): plain = .string(s)
            }
            cases.append(
                MatrixCase(
                    tag: MapTag(
                        name, kind, address, type, order: order, scale: scale, offset: offset, unit: unit, poll: poll),
                    shown: shown ?? plain, sample: sample, raw: raw))
        }
        func string(_ name: String, _ kind: RegisterKind, _ address: Int, length: Int, _ text: String) {
            cases.append(
                MatrixCase(
                    tag: MapTag(name, kind, address, .string, length: length), shown: .string(text),
                    sample: .string(text), raw: .string(text)))
        }

        // Coils and discrete inputs, with gaps read through and a second block.
        bool("coil_0", .coil, 0, true)
        bool("coil_1", .coil, 1, false)
        bool("coil_2", .coil, 2, true)
        bool("coil_9", .coil, 9, true)
        bool("coil_17", .coil, 17, true)
        bool("di_0", .discrete, 0, false)
        bool("di_1", .discrete, 1, true)
        bool("di_40", .discrete, 40, true)

        // Bools as bits of holding register 0 (0xA005) and input register 30 (0x8000).
        bool("hbit_0", .holding, 0, bit: 0, true)
        bool("hbit_1", .holding, 0, bit: 1, false)
        bool("hbit_2", .holding, 0, bit: 2, true)
        bool("hbit_13", .holding, 0, bit: 13, true)
        bool("hbit_14", .holding, 0, bit: 14, false)
        bool("hbit_15", .holding, 0, bit: 15, true)
        bool("ibit_15", .input, 30, bit: 15, true)
        bool("ibit_0", .input, 30, bit: 0, false)

        // 16-bit.
        number("i16", .holding, 1, .int16, .int(-12345))
        number("u16", .holding, 2, .uint16, .uint(54321))
        number("i16_scaled", .holding, 3, .int16, .int(-215), scale: 0.1, unit: "degC", shown: .double(-21.5))
        number("u16_scaled", .holding, 4, .uint16, .uint(1000), scale: 0.1, offset: -40, unit: "degC", shown: .int(60))
        number("i16_min", .holding, 5, .int16, .int(-32768))

        // 32-bit integers and floats in the four orders (bytes all distinct).
        let orders = ["ABCD", "CDAB", "BADC", "DCBA"]
        for (k, order) in orders.enumerated() {
            number("i32_\(order.lowercased())", .holding, 6 + 2 * k, .int32, .int(-123_456_789), order: order)
            number("u32_\(order.lowercased())", .holding, 14 + 2 * k, .uint32, .uint(0xDEAD_BEEF), order: order)
            number("f32_\(order.lowercased())", .holding, 22 + 2 * k, .float32, .double(-1234.5625), order: order)
        }
        number("f32_tenth", .holding, 30, .float32, .double(0.1), order: "CDAB")
        number(
            "f32_scaled", .holding, 32, .float32, .double(21.5), order: "ABCD", scale: 2, offset: 1, unit: "bar",
            shown: .int(44))

        // 64-bit in the four orders, and the 8-letter spellings.
        let signed64: Int64 = -81_985_529_216_486_896  // 0xFEDCBA9876543210
        let unsigned64: UInt64 = 0xFEDC_BA98_7654_3210
        for (k, order) in orders.enumerated() {
            number("i64_\(order.lowercased())", .holding, 34 + 4 * k, .int64, .int(signed64), order: order)
            number("u64_\(order.lowercased())", .holding, 54 + 4 * k, .uint64, .uint(unsigned64), order: order)
            number(
                "f64_\(order.lowercased())", .holding, 74 + 4 * k, .float64, .double(-2.718281828459045), order: order)
        }
        number("i64_ghefcdab", .holding, 50, .int64, .int(signed64), order: "GHEFCDAB")
        number("u64_hgfedcba", .holding, 70, .uint64, .uint(unsigned64), order: "HGFEDCBA")
        number("f64_badcfehg", .holding, 90, .float64, .double(6.02214076e23), order: "BADCFEHG")
        number("f64_abcdefgh", .holding, 94, .float64, .double(1.5e-300), order: "ABCDEFGH")

        // Strings: NUL padded, and filling their registers exactly.
        string("name", .holding, 98, length: 4, "Kiln-42")
        string("code", .holding, 102, length: 3, "ABCDEF")

        // More scaling, and extremes; 109 is a gap the block reads through.
        number("i32_scaled", .holding, 105, .int32, .int(250_000), order: "CDAB", scale: 0.001, shown: .int(250))
        number("u32_scaled", .holding, 107, .uint32, .uint(123), scale: -1, offset: 0.5, shown: .double(-122.5))
        number("i64_min", .holding, 110, .int64, .int(.min), order: "DCBA")
        number("u64_max", .holding, 114, .uint64, .uint(.max), order: "BADC")
        number("u32_max", .holding, 118, .uint32, .uint(UInt64(UInt32.max)), order: "CDAB")
        number("i32_min", .holding, 120, .int32, .int(Int64(Int32.min)), order: "BADC")

        // Input registers, one tag on its own poll rate (a second scan class).
        number("in_i16", .input, 0, .int16, .int(-1))
        number("in_f32", .input, 1, .float32, .double(3.5), order: "BADC", unit: "m3/h")
        number("in_u64", .input, 3, .uint64, .uint(0x0102_0304_0506_0708), order: "DCBA")
        string("in_text", .input, 7, length: 3, "IN-REG")
        number(
            "in_i32_scaled", .input, 10, .int32, .int(-100), order: "DCBA", scale: 0.5, offset: 10, poll: "500ms",
            shown: .int(-40))
        number("in_u16", .input, 20, .uint16, .uint(65535))
        return cases
    }()

    /// The map device reading every case from a peer on `port`.
    static func mapDevice(port: Int) -> MapDevice {
        MapDevice(device, port: port, timeout: "1s", tags: cases.map(\.tag))
    }

    /// The peer unit that serves every case; its encodings come from Python's struct.pack.
    static var peerUnit: PeerUnit {
        var tables: [RegisterKind: PeerTable] = [
            .holding: PeerTable(size: 130), .input: PeerTable(size: 40), .coil: PeerTable(size: 32),
            .discrete: PeerTable(size: 48),
        ]
        for (kind, address, word) in bitWords { tables[kind]!.entries.append(.words(address, [word])) }
        for c in cases where c.tag.bit == nil {
            let tag = c.tag
            switch c.shown {
            case .bool(let b) where tag.register.isBit:
                tables[tag.register]!.entries.append(.bits(tag.address, [b]))
            default:
                tables[tag.register]!.entries.append(peerEntry(c))
            }
        }
        return PeerUnit(
            holding: tables[.holding], input: tables[.input], coil: tables[.coil], discrete: tables[.discrete])
    }

    /// The typed entry for a register case: its raw value, for Python to encode.
    private static func peerEntry(_ c: MatrixCase) -> PeerEntry {
        let tag = c.tag
        return .typed(tag.address, tag.type.rawValue, c.raw!, order: tag.byteOrder, length: tag.length)
    }
}
