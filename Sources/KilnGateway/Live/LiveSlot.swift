import KilnCore

/// A value as the live state stores it: a kind and 64 bits, no references (kept apart in the
/// slot, so that two values pack into 18 bytes rather than 32).
struct LiveValue: Hashable {
    enum Kind: UInt8 {
        case none, bool, int, uint, double
        /// `bits` is the index of the text in the live state's text table.
        case string
        /// A string the text table had no room left for.
        case stringLost
    }
    var kind: Kind
    var bits: UInt64

    static let none = LiveValue(kind: .none, bits: 0)
}

/// The latest sample of one tag: a fixed-size struct of plain values (48 bytes), so 20,000
/// tags are one flat allocation of under a megabyte, with no per-tag String or class.
struct LiveSlot {
    var timestamp: Int64 = 0
    var valueBits: UInt64 = 0
    var rawBits: UInt64 = 0
    /// NaN when the sample has no projection.
    var projected = Double.nan
    var status: UInt32 = 0
    /// Index in the text table; 0 for no reason.
    var reason: UInt16 = 0
    var valueKind = LiveValue.Kind.none
    var rawKind = LiveValue.Kind.none
    var fault: UInt8 = 0
    var present = false

    var value: LiveValue {
        get { LiveValue(kind: valueKind, bits: valueBits) }
        set {
            valueKind = newValue.kind
            valueBits = newValue.bits
        }
    }

    var raw: LiveValue {
        get { LiveValue(kind: rawKind, bits: rawBits) }
        set {
            rawKind = newValue.kind
            rawBits = newValue.bits
        }
    }
}
