/// Gorilla's XOR code for doubles (Pelkonen et al., VLDB 2015, §4.1.2).
///
/// Each value is XORed with a reference (the previous value, or the point's conditioned value
/// when coding its raw reading). A zero XOR is one `0` bit. Otherwise `1`, then `0` and the
/// meaningful bits when they fit the previous window of leading and trailing zeros, or `1`, the
/// leading-zero count in 6 bits, the meaningful length minus one in 6 bits and the meaningful
/// bits.
struct XORCoder {
    private var leading = -1
    private var trailing = 0

    /// The bits `x` (a XOR) costs, and the window taken into the state.
    @inline(__always)
    mutating func cost(_ x: UInt64) -> Int {
        guard x != 0 else { return 1 }
        let lz = x.leadingZeroBitCount
        let tz = x.trailingZeroBitCount
        if leading >= 0, lz >= leading, tz >= trailing { return 2 + 64 - leading - trailing }
        leading = lz
        trailing = tz
        return 2 + 12 + 64 - lz - tz
    }

    @inline(__always)
    mutating func write(_ x: UInt64, to writer: inout BitWriter) {
        guard x != 0 else {
            writer.write(false)
            return
        }
        let lz = x.leadingZeroBitCount
        let tz = x.trailingZeroBitCount
        if leading >= 0, lz >= leading, tz >= trailing {
            writer.write(0b01, 2)
            writer.write(x &>> UInt64(trailing), 64 - leading - trailing)
            return
        }
        leading = lz
        trailing = tz
        let length = 64 - lz - tz
        writer.write(0b11, 2)
        writer.write(UInt64(lz), 6)
        writer.write(UInt64(length - 1), 6)
        writer.write(x &>> UInt64(tz), length)
    }

    @inline(__always)
    mutating func read(from reader: inout BitReader) throws(BlockCodecError) -> UInt64 {
        guard try reader.readBit() else { return 0 }
        if try reader.readBit() {
            let start = reader.position
            leading = Int(try reader.read(6))
            let length = Int(try reader.read(6)) + 1
            guard leading + length <= 64 else {
                throw BlockCodecError(.corrupt, bit: start, "an XOR window of \(leading)+\(length) bits")
            }
            trailing = 64 - leading - length
        } else if leading < 0 {
            throw BlockCodecError(.corrupt, bit: reader.position - 2, "an XOR reuses a window before any was set")
        }
        return try reader.read(64 - leading - trailing) &<< UInt64(trailing)
    }
}
