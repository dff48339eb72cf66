/// Appends bit fields to a byte array, least significant bit first.
///
/// Bits collect in a 64-bit accumulator that is stored eight bytes at a time, so writing a field
/// costs a shift, an or and now and then one append; nothing is allocated per bit.
struct BitWriter {
    private(set) var bytes: [UInt8]
    private var accumulator: UInt64 = 0
    private var used = 0

    /// - Parameters:
    ///   - prefix: bytes already written (a header); the bit stream starts after them.
    ///   - capacity: the expected size in bytes, reserved up front.
    init(prefix: [UInt8] = [], capacity: Int = 0) {
        bytes = prefix
        bytes.reserveCapacity(max(capacity, prefix.count + 16))
    }

    /// The number of bits written so far, the prefix included.
    var bitCount: Int { bytes.count * 8 + used }

    /// Writes the low `count` bits of `value` (`count` in 0...64; higher bits are ignored).
    @inline(__always)
    mutating func write(_ value: UInt64, _ count: Int) {
        guard count > 0 else { return }
        let bits = count == 64 ? value : value & ((1 &<< UInt64(count)) &- 1)
        accumulator |= bits &<< UInt64(used)
        if used + count >= 64 {
            store(accumulator)
            let spilled = used + count - 64
            accumulator = spilled == 0 ? 0 : bits &>> UInt64(count - spilled)
            used = spilled
        } else {
            used += count
        }
    }

    /// Writes one bit.
    @inline(__always)
    mutating func write(_ bit: Bool) { write(bit ? 1 : 0, 1) }

    /// Pads with zero bits to a byte boundary and returns the bytes.
    consuming func finish() -> [UInt8] {
        var rest = accumulator
        var bits = used
        while bits > 0 {
            bytes.append(UInt8(truncatingIfNeeded: rest))
            rest >>= 8
            bits -= 8
        }
        return bytes
    }

    @inline(__always)
    private mutating func store(_ word: UInt64) {
        withUnsafeBytes(of: word.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
