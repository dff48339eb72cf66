/// An adaptive Golomb–Rice code for unsigned residuals, as in LOCO-I / JPEG-LS.
///
/// A residual `z` is written as `q = z >> k` one bits, a zero and the low `k` bits of `z`; `k`
/// follows the running mean of recent residuals, so the code stays within a fraction of a bit of
/// the entropy of Laplacian-like residuals whatever their scale. A quotient of
/// ``escapeQuotient`` or more is written as that many one bits, the bit length of `z` in 6 bits and
/// its bits below the leading one, so an outlier (a gap in the data, a step) costs at most 86
/// bits and never a long unary run.
struct AdaptiveRice {
    static let escapeQuotient = 16
    /// The mean halves every this many residuals, so the code forgets old scales.
    private static let window: UInt64 = 16
    /// One residual adds at most 2^outlierShift times the current mean, so a late reply or a
    /// step does not cost the residuals after it (2 measured best on recorded poll times, whose
    /// jitter has a heavy tail, and no worse on values).
    private static let outlierShift: UInt64 = 2

    private var sum: UInt64
    private var count: UInt64

    /// - Parameter k: the parameter for the first residual (0...57; larger counts as 57).
    init(k: Int) {
        count = 2
        sum = 2 &<< UInt64(min(max(k, 0), 57))
    }

    /// The Rice parameter for the next residual: ⌊log2(mean)⌋, which measured a little closer
    /// to the entropy than LOCO-I's ⌈log2(mean)⌉ on polled signals. Shifts, not a division.
    @inline(__always)
    var k: Int {
        guard sum >= count else { return 0 }
        let k = count.leadingZeroBitCount - sum.leadingZeroBitCount
        return count &<< UInt64(k) > sum ? k - 1 : k
    }

    @inline(__always)
    mutating func update(_ z: UInt64) {
        // Roughly the mean times 2^outlierShift, capped so that `sum` stays below 2^62.
        let mean = max(sum &>> UInt64(63 - count.leadingZeroBitCount), 1)
        sum += min(z, mean &<< Self.outlierShift, 1 &<< 57)
        count += 1
        if count >= Self.window {
            sum >>= 1
            count >>= 1
        }
    }

    /// The bits `z` costs with parameter `k`, without writing it.
    @inline(__always)
    static func cost(_ z: UInt64, k: Int) -> Int {
        let q = z &>> UInt64(k)
        if q >= UInt64(escapeQuotient) { return escapeQuotient + 6 + (63 - z.leadingZeroBitCount) }
        return Int(q) + 1 + k
    }

    /// The bits `residuals` cost with the adaptive code started at `k`.
    static func bits(_ residuals: [UInt64], k: Int) -> Int {
        var rice = AdaptiveRice(k: k)
        var bits = 0
        for z in residuals {
            bits += cost(z, k: rice.k)
            rice.update(z)
        }
        return bits
    }

    /// The parameter that codes `values` most cheaply on its own, a good start for the stream.
    static func initialK(_ values: ArraySlice<UInt64>) -> Int {
        var best = (k: 0, bits: Int.max)
        for k in 0..<63 {
            var bits = 0
            for z in values { bits += cost(z, k: k) }
            if bits < best.bits { best = (k, bits) }
        }
        return best.k
    }
}

extension BitWriter {
    /// Writes `z` with the adaptive code and updates it.
    @inline(__always)
    mutating func writeRice(_ z: UInt64, _ coder: inout AdaptiveRice) {
        let k = coder.k
        let q = z &>> UInt64(k)
        if q < UInt64(AdaptiveRice.escapeQuotient) {
            write((1 &<< q) &- 1, Int(q) + 1)
            write(z, k)
        } else {
            write((1 &<< UInt64(AdaptiveRice.escapeQuotient)) &- 1, AdaptiveRice.escapeQuotient)
            let length = 64 - z.leadingZeroBitCount
            write(UInt64(length - 1), 6)
            write(z, length - 1)
        }
        coder.update(z)
    }

    /// Writes `value` as its bit length in 7 bits and the bits below its leading one.
    mutating func writeVarBits(_ value: UInt64) {
        let length = 64 - value.leadingZeroBitCount
        write(UInt64(length), 7)
        if length > 1 { write(value, length - 1) }
    }
}

extension BitReader {
    /// Reads a residual written by ``BitWriter/writeRice(_:_:)`` and updates the code.
    @inline(__always)
    mutating func readRice(_ coder: inout AdaptiveRice) throws(BlockCodecError) -> UInt64 {
        let k = coder.k
        let ones = (~peek()).trailingZeroBitCount
        let z: UInt64
        if ones < AdaptiveRice.escapeQuotient {
            try skip(ones + 1)
            z = UInt64(ones) &<< UInt64(k) | (try read(k))
        } else {
            try skip(AdaptiveRice.escapeQuotient)
            let length = Int(try read(6)) + 1
            z = 1 &<< UInt64(length - 1) | (try read(length - 1))
        }
        coder.update(z)
        return z
    }

    /// Reads a value written by ``BitWriter/writeVarBits(_:)``.
    mutating func readVarBits() throws(BlockCodecError) -> UInt64 {
        let start = position
        let length = Int(try read(7))
        guard length <= 64 else { throw BlockCodecError(.corrupt, bit: start, "a length field says \(length) bits") }
        if length <= 1 { return UInt64(length) }
        return 1 &<< UInt64(length - 1) | (try read(length - 1))
    }
}

/// Maps signed residuals to unsigned ones, small magnitudes first: 0, -1, 1, -2, 2, …
@inline(__always)
func zigzag(_ x: Int64) -> UInt64 { UInt64(bitPattern: (x &<< 1) ^ (x &>> 63)) }

/// The inverse of ``zigzag(_:)``.
@inline(__always)
func unzigzag(_ z: UInt64) -> Int64 { Int64(bitPattern: z &>> 1) ^ -Int64(bitPattern: z & 1) }
