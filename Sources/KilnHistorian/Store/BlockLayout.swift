import KilnSeries

/// How a compacted block is laid out: its values and statuses in `blocks.data`, its timestamps in
/// a time column that every tag read in the same Modbus request shares (`timecols`), since
/// those tags carry the very same reply times.
///
/// Both parts are KilnSeries blocks: the values block holds the points with times 0, 1, 2, …
/// (a regular series costs the codec next to nothing), the time column the real times with no
/// values. A block with no time column (`blocks.times` NULL) holds its points whole.
enum BlockLayout {
    /// The time column of `points`.
    static func times(_ points: [Point]) -> [UInt8] {
        BlockCodec.encode(points.map { Point(time: $0.time, value: nil, raw: nil, status: 0) })
    }

    /// The values, statuses and order of `points`, without their times.
    static func values(_ points: [Point], grid: BlockCodec.Grid?) -> [UInt8] {
        BlockCodec.encode(
            points.enumerated().map {
                Point(time: Int64($0.offset), value: $0.element.value, raw: $0.element.raw, status: $0.element.status)
            },
            grid: grid)
    }

    /// The points again.
    static func join(times: some Collection<UInt8>, values: some Collection<UInt8>) throws(BlockCodecError) -> [Point] {
        let t = try BlockCodec.decode(times)
        var v = try BlockCodec.decode(values)
        guard t.count == v.count else {
            throw BlockCodecError(.corrupt, bit: 0, "time column holds \(t.count) times for \(v.count) values")
        }
        for i in v.indices { v[i].time = t[i].time }
        return v
    }

    /// FNV-1a of the encoded time column, to find an identical one.
    static func hash(_ bytes: [UInt8]) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return Int64(bitPattern: h)
    }
}
