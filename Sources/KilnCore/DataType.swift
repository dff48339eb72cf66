/// The value types a tag may decode to.
public enum DataType: String, Sendable, Hashable, CaseIterable {
    case bool
    case int16
    case uint16
    case int32
    case uint32
    case int64
    case uint64
    case float32
    case float64
    case string

    /// Registers (or bits, for coils and discrete inputs) one value occupies.
    /// - Parameter length: the register count of a string; ignored for other types.
    public func registerCount(length: Int?) -> Int {
        switch self {
        case .bool, .int16, .uint16: 1
        case .int32, .uint32, .float32: 2
        case .int64, .uint64, .float64: 4
        case .string: length ?? 0
        }
    }

    /// True for the types whose byte order matters.
    public var isMultiRegister: Bool {
        switch self {
        case .int32, .uint32, .float32, .int64, .uint64, .float64: true
        default: false
        }
    }

    public var isNumeric: Bool { self != .bool && self != .string }
}

/// The order in which a value's big-endian bytes A B C D (A…H for 64-bit) arrive in registers.
///
/// ABCD = [AB, CD]; CDAB = [CD, AB] (word swap); BADC = [BA, DC] (byte swap); DCBA = [DC, BA].
/// For 64-bit values the same four orders apply to eight bytes: ABCD = [AB, CD, EF, GH],
/// CDAB = [GH, EF, CD, AB], BADC = [BA, DC, FE, HG], DCBA = [HG, FE, DC, BA].
public enum ByteOrder: String, Sendable, Hashable, CaseIterable {
    case abcd = "ABCD"
    case cdab = "CDAB"
    case badc = "BADC"
    case dcba = "DCBA"

    /// Parses the 4-letter names and the 8-letter 64-bit synonyms, case-insensitively.
    public init?(name: String) {
        switch name.uppercased() {
        case "ABCD", "ABCDEFGH": self = .abcd
        case "CDAB", "GHEFCDAB": self = .cdab
        case "BADC", "BADCFEHG": self = .badc
        case "DCBA", "HGFEDCBA": self = .dcba
        default: return nil
        }
    }

    /// Every spelling `init(name:)` accepts.
    public static let acceptedNames = ["ABCD", "CDAB", "BADC", "DCBA", "ABCDEFGH", "GHEFCDAB", "BADCFEHG", "HGFEDCBA"]

    /// Words arrive in reverse order (CDAB, DCBA).
    public var swapsWords: Bool { self == .cdab || self == .dcba }
    /// Bytes within each word arrive swapped (BADC, DCBA).
    public var swapsBytes: Bool { self == .badc || self == .dcba }
}
