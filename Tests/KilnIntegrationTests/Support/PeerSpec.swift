/// The JSON spec `tools/testpeers/pymodbus_server.py` serves (see the script for the format).
struct PeerSpec: Encodable {
    var units: [String: PeerUnit]

    init(_ units: [Int: PeerUnit]) {
        self.units = Dictionary(uniqueKeysWithValues: units.map { (String($0.key), $0.value) })
    }
}

/// One Modbus unit of the peer: its four tables and how it misbehaves.
struct PeerUnit: Encodable {
    var holding: PeerTable?
    var input: PeerTable?
    var coil: PeerTable?
    var discrete: PeerTable?
    /// Answer the first N read requests with exception 6 (busy).
    var busyFirst: Int?
    /// Answer every read request with exception 6.
    var busyAlways: Bool?
    /// Answer every request this many milliseconds late.
    var delayMs: Int?
    /// Answer only the first request this many milliseconds late.
    var delayFirstMs: Int?
    /// Accept requests and never answer.
    var silent: Bool?

    init(
        holding: PeerTable? = nil, input: PeerTable? = nil, coil: PeerTable? = nil, discrete: PeerTable? = nil,
        busyFirst: Int? = nil, busyAlways: Bool? = nil, delayMs: Int? = nil, delayFirstMs: Int? = nil,
        silent: Bool? = nil
    ) {
        self.holding = holding
        self.input = input
        self.coil = coil
        self.discrete = discrete
        self.busyFirst = busyFirst
        self.busyAlways = busyAlways
        self.delayMs = delayMs
        self.delayFirstMs = delayFirstMs
        self.silent = silent
    }
}

/// A register or bit table: addresses below `size` exist (reading 0), entries set values,
/// holes answer illegal data address.
struct PeerTable: Encodable {
    var size: Int?
    var holes: [Int]?
    var entries: [PeerEntry]

    init(size: Int? = nil, holes: [Int]? = nil, entries: [PeerEntry] = []) {
        self.size = size
        self.holes = holes
        self.entries = entries
    }
}

/// One entry of a table: raw words, bits, or a typed value the peer encodes with struct.pack.
struct PeerEntry: Encodable {
    var address: Int
    var registers: [Int]?
    var bits: [Bool]?
    var type: String?
    var value: PeerValue?
    var order: String?
    var length: Int?

    static func words(_ address: Int, _ words: [UInt16]) -> PeerEntry {
        PeerEntry(address: address, registers: words.map(Int.init))
    }

    static func bits(_ address: Int, _ bits: [Bool]) -> PeerEntry {
        PeerEntry(address: address, bits: bits)
    }

    static func typed(_ address: Int, _ type: String, _ value: PeerValue, order: String? = nil, length: Int? = nil)
        -> PeerEntry
    {
        PeerEntry(address: address, type: type, value: value, order: order, length: length)
    }
}

/// A value for the peer to encode; JSON keeps 64-bit integers exact.
enum PeerValue: Encodable, Hashable {
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .uint(let u): try c.encode(u)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        }
    }
}
