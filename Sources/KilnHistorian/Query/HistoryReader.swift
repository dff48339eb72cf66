import CSQLite
import KilnSeries

#if canImport(Glibc)
    import Glibc
#endif

/// Reads the historian file: tags, raw points and aggregates, from raw rows and compacted
/// blocks alike.
///
/// A reader has its own read-only connection; in WAL mode it never blocks the writer (nor the
/// writer it). `@unchecked Sendable` as `Connection`: one thread uses a reader at a time.
public final class HistoryReader: @unchecked Sendable {
    public let connection: Connection

    /// Opens an existing historian file for reading.
    ///
    /// - Throws: `HistorianError` when the file is missing or is not a Kiln historian.
    public init(path: String) throws(HistorianError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw HistorianError("\(path): no such file (give the historian file with --db, or a gateway config)")
        }
        do {
            connection = try Connection(path: path, readOnly: true)
            try connection.execute("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -8192")
            let version = try connection.scalar("PRAGMA user_version") ?? 0
            guard version >= 1 else { throw HistorianError("\(path) is not a Kiln historian file (no schema)") }
            guard version <= Schema.version else {
                throw HistorianError("\(path) was written by a newer Kiln (schema \(version)); use that version")
            }
            guard version == Schema.version else {
                throw HistorianError(
                    "\(path) has schema \(version), this Kiln reads \(Schema.version): start this version's "
                        + "`kiln run` on it once (the writer upgrades the file), then export")
            }
        } catch let error as SQLiteError {
            throw HistorianError("\(path): \(error.message); is it a Kiln historian file?", sqlite: error)
        } catch let error as HistorianError {
            throw error
        } catch {
            throw HistorianError("\(error)")
        }
    }

    // MARK: - Tags

    /// Every tag, by device then tag name.
    public func tags() throws(HistorianError) -> [TagInfo] {
        do {
            let s = try connection.prepare(
                #"SELECT id, device, tag, unit, type, scale, "offset", first_seen, last_seen FROM tags ORDER BY device, tag"#
            )
            var out: [TagInfo] = []
            while try s.step() {
                out.append(
                    TagInfo(
                        id: s.int64(0),
                        descriptor: TagDescriptor(
                            device: s.string(1) ?? "", tag: s.string(2) ?? "", unit: s.string(3),
                            type: s.string(4) ?? "",
                            scale: s.double(5), offset: s.double(6)),
                        firstSeen: s.isNull(7) ? nil : s.int64(7), lastSeen: s.isNull(8) ? nil : s.int64(8)))
            }
            return out
        } catch {
            throw HistorianError(error)
        }
    }

    /// The tags that `patterns` name (`device/tag`, or a glob such as `boiler-1/*`), each once,
    /// in device and tag order; every tag when `patterns` is empty.
    ///
    /// - Throws: when a pattern names no tag.
    public func tags(matching patterns: [String]) throws(HistorianError) -> [TagInfo] {
        let all = try tags()
        guard !patterns.isEmpty else { return all }
        var chosen = Set<Int64>()
        for pattern in patterns {
            let hits = all.filter { fnmatch(pattern, $0.path, 0) == 0 }
            guard !hits.isEmpty else {
                let known = all.prefix(8).map(\.path).joined(separator: ", ")
                let more = all.count > 8 ? ", … (\(all.count) tags)" : ""
                throw HistorianError(
                    "unknown tag '\(pattern)': no tag in the historian matches it (tags are DEVICE/TAG: \(known)\(more))"
                )
            }
            chosen.formUnion(hits.map(\.id))
        }
        return all.filter { chosen.contains($0.id) }
    }

    // MARK: - Raw points

    /// Calls `body` with every point of `tag` in [from, to), in time order, whether it is a raw
    /// row or in a compacted block. Memory stays constant: one block is decoded at a time.
    public func forEachPoint(
        of tag: TagInfo, from: Int64, to: Int64, _ body: (HistoryPoint) throws -> Void
    ) throws {
        let rows = try connection.prepare(
            "SELECT time, value, raw, status FROM samples WHERE tag = ?1 AND time >= ?2 AND time < ?3 ORDER BY time")
        rows.bind(1, tag.id)
        rows.bind(2, from)
        rows.bind(3, to)
        var blocks = try BlockCursor(self, tag: tag.id, from: from, to: to)
        var row = try rows.step() ? HistoryReader.point(rows) : nil
        var blockPoint = try blocks.next()
        while true {
            switch (row, blockPoint) {
            case (nil, nil):
                return
            case (let r?, nil):
                try body(r)
                row = try rows.step() ? HistoryReader.point(rows) : nil
            case (nil, let b?):
                try body(b)
                blockPoint = try blocks.next()
            case (let r?, let b?):
                if b.time < r.time {
                    try body(b)
                    blockPoint = try blocks.next()
                } else {
                    // A raw row wins over a block point at the same time (it arrived later).
                    if b.time == r.time { blockPoint = try blocks.next() }
                    try body(r)
                    row = try rows.step() ? HistoryReader.point(rows) : nil
                }
            }
        }
    }

    /// Every point of `tag` in [from, to) (tests and small ranges; export streams instead).
    public func points(of tag: TagInfo, from: Int64, to: Int64) throws -> [HistoryPoint] {
        var out: [HistoryPoint] = []
        try forEachPoint(of: tag, from: from, to: to) { out.append($0) }
        return out
    }

    /// The last point of `tag` before `time`.
    public func point(of tag: TagInfo, before time: Int64) throws -> HistoryPoint? {
        var best: HistoryPoint?
        let row = try connection.prepare(
            "SELECT time, value, raw, status FROM samples WHERE tag = ?1 AND time < ?2 ORDER BY time DESC LIMIT 1")
        row.bind(1, tag.id)
        row.bind(2, time)
        if try row.step() { best = HistoryReader.point(row) }
        let block = try connection.prepare(
            """
            SELECT b.data, c.data FROM blocks b LEFT JOIN timecols c ON c.id = b.times
            WHERE b.tag = ?1 AND b.start < ?2 AND b.first < ?2 ORDER BY b.start DESC LIMIT 1
            """)
        block.bind(1, tag.id)
        block.bind(2, time)
        if try block.step() {
            let points = try HistoryReader.decode(block, 0)
            if let p = points.last(where: { $0.time < time }), p.time > (best?.time ?? .min) {
                best = HistoryReader.point(p)
            }
        }
        return best
    }

    /// The first point of `tag` at or after `time`.
    public func point(of tag: TagInfo, atOrAfter time: Int64) throws -> HistoryPoint? {
        var best: HistoryPoint?
        let row = try connection.prepare(
            "SELECT time, value, raw, status FROM samples WHERE tag = ?1 AND time >= ?2 ORDER BY time LIMIT 1")
        row.bind(1, tag.id)
        row.bind(2, time)
        if try row.step() { best = HistoryReader.point(row) }
        let block = try connection.prepare(
            """
            SELECT b.data, c.data FROM blocks b LEFT JOIN timecols c ON c.id = b.times
            WHERE b.tag = ?1 AND b.start > ?3 AND b.last >= ?2 ORDER BY b.start LIMIT 1
            """)
        block.bind(1, tag.id)
        block.bind(2, time)
        block.bind(3, time - SQLiteStore.blockWindow)
        if try block.step() {
            let points = try HistoryReader.decode(block, 0)
            if let p = points.first(where: { $0.time >= time }), p.time <= (best?.time ?? .max) {
                best = HistoryReader.point(p)
            }
        }
        return best
    }

    // MARK: - Aggregates

    /// Aggregates of `tag` over the intervals [from + k·every, from + (k+1)·every) up to `to`,
    /// each with its worst status and good fraction, streamed to `body` interval by interval.
    ///
    /// The last point before `from` and the first at or after `to` are fed too, so that
    /// time-weighted averages and interpolation see the value in force at the edges.
    public func forEachAggregate(
        of tag: TagInfo, from: Int64, to: Int64, every: Int64, aggregates: [Aggregate],
        _ body: (AggregateRow) throws -> Void
    ) throws {
        var aggregator = Aggregator(from: from, to: to, every: every, aggregates: aggregates)
        if let before = try point(of: tag, before: from) { aggregator.add(HistoryReader.seriesPoint(before)) }
        var n = 0
        try forEachPoint(of: tag, from: from, to: to) { p in
            aggregator.add(HistoryReader.seriesPoint(p))
            n &+= 1
            if n & 255 == 0 {
                for row in aggregator.drainCompleted() { try body(row) }
            }
        }
        if let after = try point(of: tag, atOrAfter: to) { aggregator.add(HistoryReader.seriesPoint(after)) }
        for row in aggregator.drainCompleted() { try body(row) }
        for row in aggregator.finish() { try body(row) }
    }

    public func aggregates(
        of tag: TagInfo, from: Int64, to: Int64, every: Int64, aggregates: [Aggregate]
    ) throws -> [AggregateRow] {
        var out: [AggregateRow] = []
        try forEachAggregate(of: tag, from: from, to: to, every: every, aggregates: aggregates) { out.append($0) }
        return out
    }

    // MARK: - Conversions

    @inline(__always)
    static func stored(_ s: Statement, _ column: Int32) -> StoredValue? {
        switch s.type(column) {
        case SQLITE_INTEGER: .integer(s.int64(column))
        case SQLITE_FLOAT: .number(s.double(column))
        case SQLITE_NULL: nil
        default: .text(s.string(column) ?? "")
        }
    }

    @inline(__always)
    static func point(_ s: Statement) -> HistoryPoint {
        HistoryPoint(
            time: s.int64(0), value: stored(s, 1), raw: stored(s, 2), status: UInt32(truncatingIfNeeded: s.int64(3)))
    }

    @inline(__always)
    static func point(_ p: Point) -> HistoryPoint {
        HistoryPoint(
            time: p.time, value: p.value.map(StoredValue.number), raw: p.raw.map(StoredValue.number), status: p.status)
    }

    /// Strings have no number: their points feed aggregates with status only.
    static func seriesPoint(_ p: HistoryPoint) -> Point {
        Point(time: p.time, value: p.value?.number, raw: p.raw?.number, status: p.status)
    }

    /// The points of a block row selected as `blocks.data, timecols.data` from column `data` on.
    public static func decodeBlock(_ s: Statement, data: Int32) throws(HistorianError) -> [Point] {
        try decode(s, data)
    }

    /// The points of a block row selected as `data, times data`.
    static func decode(_ s: Statement, _ column: Int32) throws(HistorianError) -> [Point] {
        do {
            return try SQLiteStore.decodeBlock(s, data: column, times: column + 1)
        } catch {
            throw HistorianError("a compacted block does not decode (\(error)); the file may be damaged")
        }
    }
}

/// Walks the decoded points of a tag's blocks overlapping [from, to), one block at a time.
struct BlockCursor {
    let statement: Statement
    let from: Int64
    let to: Int64
    var points: [Point] = []
    var index = 0

    init(_ reader: HistoryReader, tag: Int64, from: Int64, to: Int64) throws {
        statement = try reader.connection.prepare(
            """
            SELECT b.data, c.data FROM blocks b LEFT JOIN timecols c ON c.id = b.times
            WHERE b.tag = ?1 AND b.start > ?4 AND b.start < ?3 AND b.last >= ?2 AND b.first < ?3 ORDER BY b.start
            """
        )
        statement.bind(1, tag)
        statement.bind(2, from)
        statement.bind(3, to)
        // Blocks are fixed windows, so one that reaches `from` starts less than a window before it.
        statement.bind(4, from &- SQLiteStore.blockWindow)
        self.from = from
        self.to = to
    }

    mutating func next() throws -> HistoryPoint? {
        while true {
            while index < points.count {
                let p = points[index]
                index += 1
                if p.time >= from && p.time < to { return HistoryReader.point(p) }
                if p.time >= to { break }
            }
            guard try statement.step() else { return nil }
            points = try HistoryReader.decode(statement, 0)
            index = 0
        }
    }
}
