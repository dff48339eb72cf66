import KilnSQLite
import KilnSeries

extension SQLiteStore {
    /// Compacted blocks cover one UTC hour of one tag: 720 to 7,200 points at the demo plant's
    /// 5 s to 500 ms scan rates, enough for the codec to reach its steady ratio, small enough that a
    /// query decodes little it does not need, and the unit retention drops.
    public static let blockWindow: Int64 = 3_600_000_000

    /// The window holding `time`.
    static func window(of time: Int64) -> (start: Int64, end: Int64) {
        let start = time >= 0 ? time / blockWindow * blockWindow : (time - blockWindow + 1) / blockWindow * blockWindow
        return (start, start + blockWindow)
    }

    public func maintain(now: Int64, policy: RetentionPolicy, budget: Duration) throws(SQLiteError) -> MaintenanceReport
    {
        let deadline = ContinuousClock.now + budget
        var report = MaintenanceReport()
        if let retention = policy.retention {
            try dropExpired(before: now - retention, report: &report)
        }
        try compact(before: now - policy.rawWindow, deadline: deadline, report: &report)
        return report
    }

    // MARK: - Retention

    /// Drops whole blocks that end before `cutoff`, and raw rows before it (text tags and windows
    /// that could not be compacted). Deleting frees pages for new data: the file stops growing,
    /// and no VACUUM ever has to stall ingest.
    func dropExpired(before cutoff: Int64, report: inout MaintenanceReport) throws(SQLiteError) {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let blocks = try connection.prepare(#"DELETE FROM blocks WHERE "end" <= ?1"#)
            blocks.bind(1, cutoff)
            try blocks.run()
            report.blocksDropped += connection.changes
            let rows = try connection.prepare("DELETE FROM samples WHERE tag = ?1 AND time < ?2")
            for tag in try tagIDs() {
                rows.bind(1, tag)
                rows.bind(2, cutoff)
                try rows.run()
                report.rowsDropped += connection.changes
            }
            let columns = try connection.prepare(#"DELETE FROM timecols WHERE "end" <= ?1"#)
            columns.bind(1, cutoff)
            try columns.run()
            let gaps = try connection.prepare(#"DELETE FROM gaps WHERE "end" < ?1"#)
            gaps.bind(1, cutoff)
            try gaps.run()
            try connection.execute("COMMIT")
        } catch {
            rollback()
            throw error
        }
    }

    private func tagIDs() throws(SQLiteError) -> [Int64] {
        let s = try connection.prepare("SELECT id FROM tags ORDER BY id")
        var ids: [Int64] = []
        while try s.step() { ids.append(s.int64(0)) }
        return ids
    }

    /// Tags whose values blocks can hold (not text), with the grid their values lie on when the
    /// map scales a register (the codec then stores register integers).
    private func compactableTags() throws(SQLiteError) -> [(id: Int64, grid: BlockCodec.Grid?)] {
        let s = try connection.prepare(#"SELECT id, scale, "offset" FROM tags WHERE type <> 'string' ORDER BY id"#)
        var out: [(Int64, BlockCodec.Grid?)] = []
        while try s.step() {
            let scale = s.double(1)
            let offset = s.double(2)
            let grid =
                (scale != 1 || offset != 0) && scale != 0 && scale.isFinite && offset.isFinite
                ? BlockCodec.Grid(scale: scale, offset: offset) : nil
            out.append((s.int64(0), grid))
        }
        return out
    }

    // MARK: - Compaction

    /// Compacts, tag by tag and oldest first, every window that ends before `cutoff`.
    func compact(before cutoff: Int64, deadline: ContinuousClock.Instant, report: inout MaintenanceReport)
        throws(SQLiteError)
    {
        let oldest = try connection.prepare(
            "SELECT time FROM samples WHERE tag = ?1 AND time >= ?2 ORDER BY time LIMIT 1")
        for (tag, grid) in try compactableTags() {
            // Every pass starts from the tag's oldest raw row, so that late rows for an hour
            // already compacted are merged into its block; only windows found uncompactable are
            // stepped over.
            var from = Int64.min
            while true {
                if ContinuousClock.now >= deadline {
                    report.finished = false
                    return
                }
                oldest.bind(1, tag)
                oldest.bind(2, from)
                let found = try oldest.step() ? oldest.int64(0) : nil
                oldest.reset()
                guard let found else { break }
                let window = SQLiteStore.window(of: found)
                guard window.end <= cutoff else { break }
                from = window.end
                let key = WindowKey(tag: tag, start: window.start)
                if uncompactable.contains(key) { continue }
                if let points = try compactWindow(tag: tag, start: window.start, end: window.end, grid: grid) {
                    report.blocksWritten += 1
                    report.pointsCompacted += points
                } else {
                    uncompactable.insert(key)
                }
            }
        }
    }

    /// Moves one tag's raw rows in [start, end) into its block (merging with the block already
    /// there), in one transaction. Returns the points moved, or nil when the rows cannot be held
    /// losslessly by a block (text, or integers beyond 2^53): those stay raw rows.
    @discardableResult
    public func compactWindow(tag: Int64, start: Int64, end: Int64, grid: BlockCodec.Grid? = nil) throws(SQLiteError)
        -> Int?
    {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let read = try connection.prepare(
                "SELECT time, value, raw, status FROM samples WHERE tag = ?1 AND time >= ?2 AND time < ?3 ORDER BY time"
            )
            read.bind(1, tag)
            read.bind(2, start)
            read.bind(3, end)
            var rows: [Point] = []
            while try read.step() {
                guard let value = SQLiteStore.number(read, 1), let raw = SQLiteStore.number(read, 2) else {
                    rollback()
                    return nil
                }
                rows.append(
                    Point(
                        time: read.int64(0), value: value, raw: raw, status: UInt32(truncatingIfNeeded: read.int64(3))))
            }
            guard !rows.isEmpty else {
                rollback()
                return 0
            }
            let moved = rows.count
            let points = try merged(rows, intoBlockOf: tag, start: start)
            let times = BlockLayout.times(points)
            let values = BlockLayout.values(points, grid: grid)
            guard let check = try? BlockLayout.join(times: times, values: values), SQLiteStore.identical(check, points)
            else {
                // Never trade history for space: keep the raw rows.
                rollback()
                return nil
            }
            let timeColumn = try sharedTimeColumn(times, start: start, end: end, count: points.count)
            let write = try connection.prepare(
                #"INSERT OR REPLACE INTO blocks (tag, start, "end", first, last, count, data, times) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"#
            )
            write.bind(1, tag)
            write.bind(2, start)
            write.bind(3, end)
            write.bind(4, points.first!.time)
            write.bind(5, points.last!.time)
            write.bind(6, Int64(points.count))
            write.bind(7, values)
            write.bind(8, timeColumn)
            try write.run()
            // A merge may leave the window's previous time column unused.
            try connection.execute(
                "DELETE FROM timecols WHERE start = \(start) AND id NOT IN (SELECT times FROM blocks WHERE start = \(start) AND times IS NOT NULL)"
            )
            let delete = try connection.prepare("DELETE FROM samples WHERE tag = ?1 AND time >= ?2 AND time < ?3")
            delete.bind(1, tag)
            delete.bind(2, start)
            delete.bind(3, end)
            try delete.run()
            try connection.execute("COMMIT")
            return moved
        } catch {
            rollback()
            throw error
        }
    }

    /// The id of the window's time column holding exactly `times`, stored now if new.
    private func sharedTimeColumn(_ times: [UInt8], start: Int64, end: Int64, count: Int) throws(SQLiteError) -> Int64 {
        let hash = BlockLayout.hash(times)
        let find = try connection.prepare("SELECT id, data FROM timecols WHERE start = ?1 AND hash = ?2")
        find.bind(1, start)
        find.bind(2, hash)
        while try find.step() {
            if find.withBlob(1, { $0.elementsEqual(times) }) { return find.int64(0) }
        }
        let insert = try connection.prepare(
            #"INSERT INTO timecols (start, "end", hash, count, data) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id"#)
        insert.bind(1, start)
        insert.bind(2, end)
        insert.bind(3, hash)
        insert.bind(4, Int64(count))
        insert.bind(5, times)
        guard try insert.step() else {
            throw SQLiteError(
                code: SQLiteError.Code.internal, message: "no id for a new time column", context: "compacting")
        }
        return insert.int64(0)
    }

    /// `rows` merged with the points of the block already stored for the window; a raw row wins
    /// over a block point at the same time.
    private func merged(_ rows: [Point], intoBlockOf tag: Int64, start: Int64) throws(SQLiteError) -> [Point] {
        let existing = try connection.prepare(
            "SELECT b.data, c.data FROM blocks b LEFT JOIN timecols c ON c.id = b.times WHERE b.tag = ?1 AND b.start = ?2"
        )
        existing.bind(1, tag)
        existing.bind(2, start)
        guard try existing.step() else { return rows }
        let old: [Point]
        do {
            old = try SQLiteStore.decodeBlock(existing, data: 0, times: 1)
        } catch {
            throw SQLiteError(
                code: SQLiteError.Code.corrupt, message: "block of tag \(tag) at \(start) does not decode: \(error)",
                context: "compacting")
        }
        var out: [Point] = []
        out.reserveCapacity(old.count + rows.count)
        var i = 0
        var j = 0
        while i < old.count || j < rows.count {
            if j == rows.count || (i < old.count && old[i].time < rows[j].time) {
                out.append(old[i])
                i += 1
            } else {
                if i < old.count, old[i].time == rows[j].time { i += 1 }
                out.append(rows[j])
                j += 1
            }
        }
        return out
    }

    /// A block's points from a row holding its data and its time column (NULL when it has none).
    static func decodeBlock(_ s: Statement, data: Int32, times: Int32) throws(BlockCodecError) -> [Point] {
        if s.isNull(times) {
            return try s.withBlob(data) { bytes throws(BlockCodecError) in try BlockCodec.decode(bytes) }
        }
        return try s.withBlob(times) { t throws(BlockCodecError) in
            try s.withBlob(data) { v throws(BlockCodecError) in try BlockLayout.join(times: t, values: v) }
        }
    }

    /// A stored cell as a block number: `.some(nil)` for NULL, nil when a block cannot hold it exactly.
    static func number(_ s: Statement, _ column: Int32) -> Double?? {
        switch s.type(column) {
        case .null: return .some(nil)
        case .float: return s.double(column)
        case .integer:
            let i = s.int64(column)
            guard i.magnitude <= 1 << 53 else { return nil }
            return Double(i)
        default: return nil
        }
    }

    /// Bit-for-bit equality (NaN payloads and -0.0 included).
    static func identical(_ a: [Point], _ b: [Point]) -> Bool {
        guard a.count == b.count else { return false }
        for (p, q) in zip(a, b) {
            guard p.time == q.time, p.status == q.status, p.value?.bitPattern == q.value?.bitPattern,
                p.raw?.bitPattern == q.raw?.bitPattern
            else { return false }
        }
        return true
    }
}
