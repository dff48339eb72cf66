/// Lossless compression of a block of points: one tag over one time window.
///
/// Gorilla-style (Pelkonen et al., VLDB 2015), tuned for polled industrial signals:
/// - times: predicted from the block's nominal period (`TimePredictor`) and coded as
///   adaptive Rice residuals, so the reply-time jitter of a polled tag costs what it must (about
///   ten bits per point on the demo plant) and a perfectly regular series one bit;
/// - status and which of value/raw each point has: run-length coded (`RunCoder`);
/// - values: integer residuals in the domain that fits the column — scaled-integer grid,
///   float32 or any double — Gorilla's XOR code, or runs of equal values, whichever is smallest
///   (`ColumnCoder`);
/// - raw readings: a run flag when bit-equal to the value (the common case), otherwise a column
///   of their own that may predict each raw reading from its conditioned value.
///
/// The round trip is bit-exact for every input: nil, NaN payloads, ±0, ±infinity, any times
/// (unsorted, duplicated, `Int64.min` next to `Int64.max`), any statuses. Layout: a version byte
/// (``version``), the point count as unsigned LEB128, then a bit stream (least significant bit
/// first) holding the time column, the runs, the value column and the raw column, zero-padded to a
/// byte. Decoding checks every field and throws ``BlockCodecError`` on damaged input; it cannot
/// trap, and its work is bounded by the input's size.
///
/// What a point costs is mostly what it carries: a noisy float32 reading holds about
/// `log2(σ·√(2πe) / ulp)` bits of noise (17 for σ 0.05 around 20 °C) that no lossless code can
/// drop; a scaled integer with noise below its step, a bool or a counter costs little beyond its
/// time. `BlockCodecSizeTests` prints both, with that floor, for the demo plant's temperatures.
public enum BlockCodec {
    /// The format version this build writes and reads.
    public static let version: UInt8 = 1

    /// A tag's register scaling, `value = Double(register) * scale + offset`: a hint that lets the
    /// encoder code scaled integers as the integers they are.
    public struct Grid: Sendable, Hashable {
        /// Multiplies the register value.
        public var scale: Double
        /// Is added after scaling.
        public var offset: Double

        /// - Parameters:
        ///   - scale: the tag's `scale`.
        ///   - offset: the tag's `offset`.
        public init(scale: Double, offset: Double = 0) {
            self.scale = scale
            self.offset = offset
        }
    }

    /// Compresses `points`, in the order given.
    /// - Parameters:
    ///   - points: the block, normally one tag's points in time order.
    ///   - grid: the tag's scale and offset, when its values are scaled registers. Without it the
    ///     encoder still finds common decimal scales (0.1, 0.01, …) with offset 0. A wrong hint
    ///     costs bits, never exactness.
    /// - Returns: the block's bytes.
    public static func encode(_ points: some Collection<Point>, grid: Grid? = nil) -> [UInt8] {
        let points = Array(points)
        var header: [UInt8] = [version]
        var count = UInt64(points.count)
        repeat {
            header.append(UInt8(count & 0x7F) | (count > 0x7F ? 0x80 : 0))
            count >>= 7
        } while count > 0
        guard !points.isEmpty else { return header }

        var writer = BitWriter(prefix: header, capacity: header.count + points.count * 4 + 32)
        encodeTimes(points.map(\.time), to: &writer)
        RunCoder.encode(points, to: &writer)

        let values = points.compactMap { $0.value?.bitPattern }
        if !values.isEmpty { ColumnCoder.encode(values, hints: nil, grid: grid, to: &writer) }

        var raws: [UInt64] = []
        var hints: [Double?] = []
        for point in points where RunCoder.Shape(point).raw == RunCoder.Shape.rawOwn {
            raws.append(point.raw!.bitPattern)
            hints.append(point.value)
        }
        if !raws.isEmpty { ColumnCoder.encode(raws, hints: hints, grid: grid, to: &writer) }
        return writer.finish()
    }

    /// Decompresses a block written by ``encode(_:grid:)``.
    /// - Parameter bytes: the whole block.
    /// - Returns: the points, bit for bit as encoded.
    /// - Throws: ``BlockCodecError`` when the block is truncated, damaged, has trailing bytes or
    ///   comes from an unknown version.
    public static func decode(_ bytes: some Collection<UInt8>) throws(BlockCodecError) -> [Point] {
        let bytes = Array(bytes)
        guard let first = bytes.first else { throw BlockCodecError(.truncated, bit: 0, "the block is empty") }
        guard first == version else {
            throw BlockCodecError(.unsupportedVersion, bit: 0, "version \(first), this build reads \(version)")
        }
        var count: UInt64 = 0
        var offset = 1
        while true {
            guard offset < bytes.count else {
                throw BlockCodecError(.truncated, bit: offset * 8, "the block ends inside the point count")
            }
            guard offset < 10 else { throw BlockCodecError(.corrupt, bit: offset * 8, "the point count is too long") }
            let byte = bytes[offset]
            count |= UInt64(byte & 0x7F) << (7 * UInt64(offset - 1))
            offset += 1
            if byte & 0x80 == 0 { break }
        }
        var reader = BitReader(bytes, byteOffset: offset)
        // Every point costs at least one bit (its time residual), which bounds the work and the
        // memory a damaged count can ask for.
        guard count <= UInt64(reader.remaining) + 1 else {
            throw BlockCodecError(.truncated, bit: offset * 8, "\(count) points cannot fit in \(bytes.count) bytes")
        }
        let n = Int(count)
        guard n > 0 else {
            try reader.expectEnd()
            return []
        }

        let times = try decodeTimes(count: n, from: &reader)
        let runs = try RunCoder.decode(count: n, from: &reader)
        let valueCount = runs.reduce(0) { $0 + ($1.shape.hasValue ? $1.length : 0) }
        let values = valueCount == 0 ? [] : try ColumnCoder.decode(count: valueCount, hints: nil, from: &reader)

        // Each raw reading of its own is predicted from its point's value, when there is one.
        var hints: [Double?] = []
        var v = 0
        for run in runs {
            if run.shape.raw == RunCoder.Shape.rawOwn {
                if run.shape.hasValue {
                    hints.append(contentsOf: values[v..<(v + run.length)].lazy.map { Double(bitPattern: $0) })
                } else {
                    hints.append(contentsOf: repeatElement(nil, count: run.length))
                }
            }
            if run.shape.hasValue { v += run.length }
        }
        let raws = hints.isEmpty ? [] : try ColumnCoder.decode(count: hints.count, hints: hints, from: &reader)
        try reader.expectEnd()

        var points: [Point] = []
        points.reserveCapacity(n)
        v = 0
        var r = 0
        for run in runs {
            for _ in 0..<run.length {
                let time = times[points.count]
                var value: Double?
                if run.shape.hasValue {
                    value = Double(bitPattern: values[v])
                    v += 1
                }
                var raw: Double?
                switch run.shape.raw {
                case RunCoder.Shape.rawSame: raw = value
                case RunCoder.Shape.rawOwn:
                    raw = Double(bitPattern: raws[r])
                    r += 1
                default: break
                }
                points.append(Point(time: time, value: value, raw: raw, status: run.status))
            }
        }
        return points
    }
}
