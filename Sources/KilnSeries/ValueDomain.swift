/// How a column's doubles map to the integers the codec takes residuals of.
///
/// Neighbouring readings are close as numbers, so their integers are close too and the residuals
/// small. A value the domain cannot represent exactly is an exception, stored verbatim.
enum ValueDomain: Equatable {
    /// `Double(k) * scale + offset` for an integer `k`, checked bit for bit: scaled registers.
    case grid(scale: Double, offset: Double)
    /// Values that are exactly `Double(Float(x))`: the integer orders the float32 bit patterns.
    case float32
    /// Any double: the integer orders the bit patterns (sign-magnitude folded to two's complement).
    case ordered

    /// Scales that `grid` tries, coarsest first, when the encoder gets no hint (offset 0).
    static let scales: [Double] = [
        1000, 100, 10, 5, 2, 1, 0.5, 0.25, 0.2, 0.125, 0.1, 0.0625, 0.05, 0.03125, 0.025, 0.02,
        0.01, 0.005, 0.0025, 0.002, 0.001, 0.0005, 0.0002, 0.0001, 5e-5, 2e-5, 1e-5, 1e-6, 1e-7,
        1e-8, 1e-9, 1.0 / 3,
    ]

    /// The integer for a bit pattern, or nil when the domain cannot hold it exactly.
    @inline(__always)
    func integer(_ bits: UInt64) -> Int64? {
        switch self {
        case .grid(let scale, let offset):
            let value = Double(bitPattern: bits)
            let q = (value - offset) / scale
            guard q.isFinite, q.magnitude < 0x1p53 else { return nil }
            let k = Int64(q.rounded())
            if Self.gridBits(k, scale, offset) == bits { return k }
            if Self.gridBits(k - 1, scale, offset) == bits { return k - 1 }
            if Self.gridBits(k + 1, scale, offset) == bits { return k + 1 }
            return nil
        case .float32:
            let narrow = Float(Double(bitPattern: bits))
            guard Double(narrow).bitPattern == bits else { return nil }
            return Int64(Self.ordered32(narrow.bitPattern))
        case .ordered:
            return Int64(bitPattern: Self.ordered64(bits))
        }
    }

    /// The bit pattern for an integer (any integer decodes to something; only the encoder's are
    /// meaningful).
    @inline(__always)
    func bits(_ k: Int64) -> UInt64 {
        switch self {
        case .grid(let scale, let offset): Self.gridBits(k, scale, offset)
        case .float32: Double(Float(bitPattern: Self.unordered32(UInt32(truncatingIfNeeded: k)))).bitPattern
        case .ordered: Self.unordered64(UInt64(bitPattern: k))
        }
    }

    /// An integer near `value`, for predicting a raw reading from its conditioned value; nil when
    /// there is none.
    @inline(__always)
    func nearest(_ value: Double) -> Int64? {
        switch self {
        case .grid(let scale, let offset):
            let q = ((value - offset) / scale).rounded()
            return q.isFinite && q.magnitude < 0x1p53 ? Int64(q) : nil
        case .float32: return Int64(Self.ordered32(Float(value).bitPattern))
        case .ordered: return Int64(bitPattern: Self.ordered64(value.bitPattern))
        }
    }

    /// The residual of `k` against a prediction, folded for the Rice code.
    @inline(__always)
    func residual(_ k: Int64, _ prediction: Int64) -> UInt64 {
        zigzag(k &- prediction)
    }

    /// The integer a residual stands for.
    @inline(__always)
    func integer(residual z: UInt64, _ prediction: Int64) -> Int64 {
        let k = prediction &+ unzigzag(z)
        return self == .float32 ? k & 0xFFFF_FFFF : k
    }

    @inline(__always)
    private static func gridBits(_ k: Int64, _ scale: Double, _ offset: Double) -> UInt64 {
        (Double(k) * scale + offset).bitPattern
    }

    @inline(__always)
    static func ordered32(_ b: UInt32) -> UInt32 { b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000 }
    @inline(__always)
    static func unordered32(_ o: UInt32) -> UInt32 { o & 0x8000_0000 != 0 ? o & 0x7FFF_FFFF : ~o }
    @inline(__always)
    static func ordered64(_ b: UInt64) -> UInt64 { b & (1 << 63) != 0 ? ~b : b | (1 << 63) }
    @inline(__always)
    static func unordered64(_ o: UInt64) -> UInt64 { o & (1 << 63) != 0 ? o & ~(1 << 63) : ~o }
}
