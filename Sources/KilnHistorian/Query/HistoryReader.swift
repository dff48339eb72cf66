import KilnCore
import KilnSQLite
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
            let version = try Schema.recordedVersion(connection) ?? 0
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
    ///
    /// With `coverage`, a point with no value and status ``Coverage/status`` (`BadNoData`) is
    /// also passed where uncovered time begins in the range (after a stored point at the same
    /// time), the way `kiln export` marks time the historian did not cover.
    ///
    /// - Throws: `HistorianError` naming the tag and the hour when a compacted block is damaged.
    public func forEachPoint(
        of tag: TagInfo, from: Int64, to: Int64, marking coverage: Coverage? = nil,
        _ body: (HistoryPoint) throws -> Void
    ) throws {
        var marks = UncoveredMarks(coverage?.uncoveredStarts(from: from, to: to) ?? [])
        let rows = try connection.prepare(
            "SELECT time, value, raw, status FROM samples WHERE tag = ?1 AND time >= ?2 AND time < ?3 ORDER BY time")
        rows.bind(1, tag.id)
        rows.bind(2, from)
        rows.bind(3, to)
        var blocks = try BlockCursor(self, tag: tag, from: from, to: to)
        var row = try rows.step() ? HistoryReader.point(rows) : nil
        var blockPoint = try blocks.next()
        while true {
            switch (row, blockPoint) {
            case (nil, nil):
                try marks.pass(before: .max, to: body)
                return
            case (let r?, nil):
                if marks.next < r.time { try marks.pass(before: r.time, to: body) }
                try body(r)
                row = try rows.step() ? HistoryReader.point(rows) : nil
            case (nil, let b?):
                if marks.next < b.time { try marks.pass(before: b.time, to: body) }
                try body(b)
                blockPoint = try blocks.next()
            case (let r?, let b?):
                if b.time < r.time {
                    if marks.next < b.time { try marks.pass(before: b.time, to: body) }
                    try body(b)
                    blockPoint = try blocks.next()
                } else {
                    // A raw row wins over a block point at the same time (it arrived later).
                    if b.time == r.time { blockPoint = try blocks.next() }
                    if marks.next < r.time { try marks.pass(before: r.time, to: body) }
                    try body(r)
                    row = try rows.step() ? HistoryReader.point(rows) : nil
                }
            }
        }
    }

    /// Every point of `tag` in [from, to) (tests and small ranges; export streams instead).
    public func points(of tag: TagInfo, from: Int64, to: Int64, marking coverage: Coverage? = nil) throws
        -> [HistoryPoint]
    {
        var out: [HistoryPoint] = []
        try forEachPoint(of: tag, from: from, to: to, marking: coverage) { out.append($0) }
        return out
    }

    /// The mark of uncovered time beginning at `time`.
    static func uncovered(at time: Int64) -> HistoryPoint {
        HistoryPoint(time: time, value: nil, raw: nil, status: Coverage.status)
    }

    /// The columns every block query selects, in this order, for ``decode(_:tag:)``.
    static let blockColumns = #"b.data, c.data, b.times, b.start, b."end", b.count"#

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
            SELECT \(HistoryReader.blockColumns) FROM blocks b LEFT JOIN timecols c ON c.id = b.times
            WHERE b.tag = ?1 AND b.start < ?2 AND b.first < ?2 ORDER BY b.start DESC LIMIT 1
            """)
        block.bind(1, tag.id)
        block.bind(2, time)
        if try block.step() {
            let points = try HistoryReader.decode(block, tag: tag)
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
            SELECT \(HistoryReader.blockColumns) FROM blocks b LEFT JOIN timecols c ON c.id = b.times
            WHERE b.tag = ?1 AND b.start > ?3 AND b.last >= ?2 ORDER BY b.start LIMIT 1
            """)
        block.bind(1, tag.id)
        block.bind(2, time)
        block.bind(3, time - SQLiteStore.blockWindow)
        if try block.step() {
            let points = try HistoryReader.decode(block, tag: tag)
            if let p = points.first(where: { $0.time >= time }), p.time <= (best?.time ?? .max) {
                best = HistoryReader.point(p)
            }
        }
        return best
    }

    // MARK: - Aggregates

    /// Aggregates of `tag` over clock-aligned intervals (boundaries at `origin + k·every`, the first
    /// and last clipped to [from, to)), each with its worst status and good fraction, streamed to
    /// `body` interval by interval in constant memory, however many intervals the range holds.
    ///
    /// The last point before `from` and the first at or after `to` are fed too, so that
    /// time-weighted averages and interpolation see the value in force at the edges. Time the
    /// historian did not cover (`coverage`, read from the file when nil) holds no value and
    /// reads `BadNoData`: no value is carried into it, and it never counts as Good.
    public func forEachAggregate(
        of tag: TagInfo, from: Int64, to: Int64, every: Int64, origin: Int64 = 0, aggregates: [Aggregate],
        coverage: Coverage? = nil, _ body: (AggregateRow) throws -> Void
    ) throws {
        let coverage = try coverage ?? self.coverage()
        var aggregator = Aggregator(from: from, to: to, every: every, origin: origin, aggregates: aggregates)
        let before = try point(of: tag, before: from)
        let uncoveredBefore = coverage.lastUncoveredStart(before: from)
        if let before { aggregator.add(HistoryReader.seriesPoint(before)) }
        // Uncovered time that began after that point (or at its time) replaces it.
        if let u = uncoveredBefore, u >= (before?.time ?? .min) {
            aggregator.add(HistoryReader.seriesPoint(HistoryReader.uncovered(at: u)))
        }
        var n = 0
        try forEachPoint(of: tag, from: from, to: to, marking: coverage) { p in
            aggregator.add(HistoryReader.seriesPoint(p))
            n &+= 1
            if n & 255 == 0 {
                while let row = aggregator.nextCompleted() { try body(row) }
            }
        }
        // The first point after the range, or the start of uncovered time if that comes first.
        let after = try point(of: tag, atOrAfter: to)
        if let u = coverage.firstUncoveredStart(atOrAfter: to), u < (after?.time ?? .max) {
            aggregator.add(HistoryReader.seriesPoint(HistoryReader.uncovered(at: u)))
        } else if let after {
            aggregator.add(HistoryReader.seriesPoint(after))
        }
        aggregator.close()
        while let row = aggregator.nextCompleted() { try body(row) }
    }

    /// Every aggregate row at once (tests and short ranges; export streams instead).
    public func aggregates(
        of tag: TagInfo, from: Int64, to: Int64, every: Int64, origin: Int64 = 0, aggregates: [Aggregate],
        coverage: Coverage? = nil
    ) throws -> [AggregateRow] {
        var out: [AggregateRow] = []
        try forEachAggregate(
            of: tag, from: from, to: to, every: every, origin: origin, aggregates: aggregates, coverage: coverage
        ) { out.append($0) }
        return out
    }

    // MARK: - Conversions

    @inline(__always)
    static func stored(_ s: Statement, _ column: Int32) -> StoredValue? {
        switch s.type(column) {
        case .integer: .integer(s.int64(column))
        case .float: .number(s.double(column))
        case .null: nil
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
        do {
            return try SQLiteStore.decodeBlock(s, data: data, times: data + 1)
        } catch {
            throw HistorianError("a compacted block does not decode (\(error)); the file may be damaged")
        }
    }

    /// The points of a block row selected as ``blockColumns``, checked against what the row says
    /// of them (its time column, window and count), so that a damaged block is an error naming
    /// the tag and its hour, never points silently lost.
    static func decode(_ s: Statement, tag: TagInfo) throws(HistorianError) -> [Point] {
        let start = s.int64(3)
        let end = s.int64(4)
        func damaged(_ why: String) -> HistorianError {
            HistorianError(
                "\(tag.path): the compacted block from \(Timestamp.rfc3339(micros: start)) to "
                    + "\(Timestamp.rfc3339(micros: end)) is damaged: \(why); its points cannot be read. "
                    + "Export around that hour, or restore the file from a backup")
        }
        guard !s.isNull(0) else { throw damaged("its data is NULL") }
        if !s.isNull(2), s.isNull(1) { throw damaged("its time column (timecols id \(s.int64(2))) is missing") }
        let points: [Point]
        do {
            points = try SQLiteStore.decodeBlock(s, data: 0, times: 1)
        } catch {
            throw damaged("\(error)")
        }
        guard points.count == Int(s.int64(5)) else {
            throw damaged("it holds \(points.count) points where the file says \(s.int64(5))")
        }
        if let outside = points.first(where: { $0.time < start || $0.time >= end }) {
            throw damaged(
                "a point's time (\(outside.time) µs) lies outside the block's hour; is its time column (blocks.times) lost?"
            )
        }
        return points
    }
}

/// The places uncovered time begins in a range, passed between the stored points: a stored point
/// comes before a mark of the same time.
struct UncoveredMarks {
    let times: [Int64]
    var index = 0
    /// The next mark's time; `.max` when none is left (a range never reaches `.max`).
    var next: Int64

    init(_ times: [Int64]) {
        self.times = times
        next = times.first ?? .max
    }

    /// Passes every mark before `time` to `body`.
    mutating func pass(before time: Int64, to body: (HistoryPoint) throws -> Void) throws {
        while next < time {
            try body(HistoryReader.uncovered(at: next))
            index += 1
            next = index < times.count ? times[index] : .max
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

    let tag: TagInfo

    init(_ reader: HistoryReader, tag: TagInfo, from: Int64, to: Int64) throws {
        statement = try reader.connection.prepare(
            """
            SELECT \(HistoryReader.blockColumns) FROM blocks b LEFT JOIN timecols c ON c.id = b.times
            WHERE b.tag = ?1 AND b.start > ?4 AND b.start < ?3 AND b.last >= ?2 AND b.first < ?3 ORDER BY b.start
            """
        )
        statement.bind(1, tag.id)
        statement.bind(2, from)
        statement.bind(3, to)
        // Blocks are fixed windows, so one that reaches `from` starts less than a window before it.
        statement.bind(4, from &- SQLiteStore.blockWindow)
        self.from = from
        self.to = to
        self.tag = tag
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
            points = try HistoryReader.decode(statement, tag: tag)
            index = 0
        }
    }
}
