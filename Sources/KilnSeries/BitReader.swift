/// Reads the bit fields a ``BitWriter`` wrote, and throws instead of reading past the end.
///
/// The bytes are copied once into an array with eight zero bytes of slack, so every field is one
/// unaligned 64-bit load and a shift; the position is checked against the real length after each
/// read, so a truncated block throws ``BlockCodecError/Code/truncated``.
struct BitReader {
    private let bytes: [UInt8]
    private let totalBits: Int
    private(set) var position: Int

    /// - Parameters:
    ///   - bytes: the whole block.
    ///   - byteOffset: where the bit stream starts.
    init(_ bytes: [UInt8], byteOffset: Int) {
        var padded = bytes
        padded.append(contentsOf: repeatElement(0, count: 8))
        self.bytes = padded
        totalBits = bytes.count * 8
        position = byteOffset * 8
    }

    /// Bits left before the end of the block.
    var remaining: Int { totalBits - position }

    /// The next 57 or more bits without consuming them (zeros past the end).
    @inline(__always)
    func peek() -> UInt64 {
        let word = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position >> 3, as: UInt64.self) }
        return UInt64(littleEndian: word) &>> UInt64(position & 7)
    }

    /// Consumes `count` bits already peeked.
    @inline(__always)
    mutating func skip(_ count: Int) throws(BlockCodecError) {
        position += count
        if position > totalBits { throw BlockCodecError(.truncated, bit: totalBits, "the block ends inside a field") }
    }

    /// Reads `count` bits (0...64) as the low bits of the result.
    @inline(__always)
    mutating func read(_ count: Int) throws(BlockCodecError) -> UInt64 {
        if count <= 56 {
            let value = count == 0 ? 0 : peek() & ((1 &<< UInt64(count)) &- 1)
            try skip(count)
            return value
        }
        let low = try read(32)
        let high = try read(count - 32)
        return low | high &<< 32
    }

    /// Reads one bit.
    @inline(__always)
    mutating func readBit() throws(BlockCodecError) -> Bool { try read(1) == 1 }

    /// Throws unless only the zero padding of the last byte is left.
    func expectEnd() throws(BlockCodecError) {
        guard remaining < 8 else {
            throw BlockCodecError(.trailingData, bit: position, "\(remaining / 8) bytes follow the last point")
        }
        if remaining > 0, peek() & ((1 &<< UInt64(remaining)) &- 1) != 0 {
            throw BlockCodecError(.corrupt, bit: position, "the padding after the last point is not zero")
        }
    }
}
