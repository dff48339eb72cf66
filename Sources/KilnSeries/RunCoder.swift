/// Codes the per-point status and shape (which of value and raw a point has) as runs.
///
/// Statuses change rarely and a tag's points nearly always have the same shape, so a block is a
/// handful of runs. Per run: the status (`0` = the previous run's; `1` and a 2-bit index into the
/// three statuses used before it, or index 0 and the 32-bit code), the shape (3 bits), and `1`
/// for the last run, whose length is the rest of the block, or `0` and the length (var bits).
enum RunCoder {
    /// Which of value and raw a point carries.
    struct Shape: Equatable {
        /// Bit 0: the value is present. Bits 1–2: raw is nil (0), bit-equal to the value (1), or
        /// its own (2).
        var bits: UInt8

        static let rawNil: UInt8 = 0
        static let rawSame: UInt8 = 1
        static let rawOwn: UInt8 = 2

        init(bits: UInt8) { self.bits = bits }

        @inline(__always)
        init(_ point: Point) {
            var raw = Self.rawNil
            if let r = point.raw {
                raw = point.value.map { $0.bitPattern == r.bitPattern } == true ? Self.rawSame : Self.rawOwn
            }
            bits = (point.value == nil ? 0 : 1) | raw << 1
        }

        var hasValue: Bool { bits & 1 != 0 }
        var raw: UInt8 { bits >> 1 }
        var isValid: Bool { raw <= Self.rawOwn && (hasValue || raw != Self.rawSame) }
    }

    struct Run {
        var status: UInt32
        var shape: Shape
        var length: Int
    }

    /// The statuses used most recently, most recent first.
    private struct Recent {
        var codes: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)

        subscript(i: Int) -> UInt32 {
            switch i {
            case 0: codes.0
            case 1: codes.1
            case 2: codes.2
            default: codes.3
            }
        }

        func index(of code: UInt32) -> Int? { (0..<4).first { self[$0] == code } }

        mutating func use(_ i: Int) {
            let code = self[i]
            if i >= 3 { codes.3 = codes.2 }
            if i >= 2 { codes.2 = codes.1 }
            if i >= 1 { codes.1 = codes.0 }
            codes.0 = code
        }

        mutating func push(_ code: UInt32) {
            codes = (code, codes.0, codes.1, codes.2)
        }
    }

    static func encode(_ points: [Point], to writer: inout BitWriter) {
        var recent = Recent()
        var start = 0
        while start < points.count {
            let status = points[start].status
            let shape = Shape(points[start])
            var end = start + 1
            while end < points.count, points[end].status == status, Shape(points[end]) == shape { end += 1 }
            switch recent.index(of: status) {
            case 0:
                writer.write(false)
            case let i? where i > 0:
                writer.write(true)
                writer.write(UInt64(i), 2)
                recent.use(i)
            default:
                writer.write(true)
                writer.write(0, 2)
                writer.write(UInt64(status), 32)
                recent.push(status)
            }
            writer.write(UInt64(shape.bits), 3)
            writer.write(end == points.count)
            if end < points.count { writer.writeVarBits(UInt64(end - start)) }
            start = end
        }
    }

    static func decode(count: Int, from reader: inout BitReader) throws(BlockCodecError) -> [Run] {
        var runs: [Run] = []
        var recent = Recent()
        var remaining = count
        while remaining > 0 {
            let start = reader.position
            let status: UInt32
            if try reader.readBit() {
                let i = Int(try reader.read(2))
                if i == 0 {
                    status = UInt32(try reader.read(32))
                    recent.push(status)
                } else {
                    status = recent[i]
                    recent.use(i)
                }
            } else {
                status = recent[0]
            }
            let shape = Shape(bits: UInt8(try reader.read(3)))
            guard shape.isValid else { throw BlockCodecError(.corrupt, bit: start, "a run with shape \(shape.bits)") }
            var length = remaining
            if !(try reader.readBit()) {
                let coded = try reader.readVarBits()
                guard coded > 0, coded < UInt64(remaining) else {
                    throw BlockCodecError(.corrupt, bit: start, "a run of \(coded) points with \(remaining) left")
                }
                length = Int(coded)
            }
            runs.append(Run(status: status, shape: shape, length: length))
            remaining -= length
        }
        return runs
    }
}
