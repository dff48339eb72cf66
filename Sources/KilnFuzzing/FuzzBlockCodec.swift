import KilnSeries

/// The block codec's decoder (KilnSeries `BlockCodec`) on arbitrary bytes, as the historian reads
/// compacted blocks: whole blocks, or a time column and a values block apart.
///
/// Input: the first byte's low bit chooses the layout.
/// - 0: the rest is one block.
/// - 1: two little-endian bytes give the length of a time column, which follows; the rest is
///   the values block (the historian's `blocks.times` and `blocks.data`).
///
/// Decoding must throw `BlockCodecError` or succeed, never trap, with work and memory bounded by
/// the input (a count field claiming 2^40 points must not allocate them). A block that decodes
/// must encode and decode again to the very same points: the codec round-trips every input.
public enum FuzzBlockCodec: FuzzTarget {
    public static let name = "block-codec"

    public static func run(_ data: UnsafeRawBufferPointer) {
        guard let mode = data.first else { return }
        let rest = Array(data.dropFirst())
        if mode & 1 == 0 {
            check(rest)
            return
        }
        guard rest.count >= 2 else { return }
        let length = min(Int(rest[0]) | Int(rest[1]) << 8, rest.count - 2)
        let times = Array(rest[2..<(2 + length)])
        let values = Array(rest[(2 + length)...])
        guard let t = check(times), let v = check(values) else { return }
        // The historian joins them only when the counts agree; nothing more to check here.
        _ = t.count == v.count
    }

    /// Decodes `bytes`; when that works, checks the round trip.
    @discardableResult
    static func check(_ bytes: [UInt8]) -> [Point]? {
        guard let points = try? BlockCodec.decode(bytes) else { return nil }
        guard points.count <= bytes.count * 8 else {
            fatalError("block-codec: \(points.count) points from \(bytes.count) bytes")
        }
        let again: [Point]
        do {
            again = try BlockCodec.decode(BlockCodec.encode(points))
        } catch {
            fatalError("block-codec: a decoded block does not encode and decode again: \(error)")
        }
        guard again.count == points.count, zip(again, points).allSatisfy(same) else {
            fatalError("block-codec: the round trip of a decoded block changed its points")
        }
        return points
    }

    /// Bit-for-bit equality (NaN payloads and -0.0 included).
    static func same(_ a: Point, _ b: Point) -> Bool {
        a.time == b.time && a.status == b.status && a.value?.bitPattern == b.value?.bitPattern
            && a.raw?.bitPattern == b.raw?.bitPattern
    }
}
