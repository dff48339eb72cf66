import KilnCore
import KilnSQLite
import Synchronization

/// The historian's SQLite file, opened for writing.
///
/// One connection, used by the writer thread only (it is created elsewhere and handed over,
/// hence `@unchecked Sendable`). Readers open their own connections (`HistoryReader`); in WAL
/// mode they never block this writer, nor it them.
public final class SQLiteStore: HistorianStore, @unchecked Sendable {
    public let connection: Connection
    private let insertSample: Statement
    /// `insertSample` for `rowsPerInsert` rows at once: one statement run per 16 rows instead of
    /// per row saves most of SQLite's per-statement work on the ingest hot path.
    private let insertSamples: Statement
    static let rowsPerInsert = 16
    private let updateSeen: Statement
    private let insertGap: Statement
    private let insertMarker: Statement
    /// Windows whose raw rows a block cannot hold exactly (text, integers beyond 2^53): they
    /// stay raw, and compaction steps over them.
    var uncompactable: Set<WindowKey> = []
    /// The `runs` row of this process's run, once opened, and the statement that extends it
    /// with each commit's sample times.
    var run: (id: Int64, update: Statement)?

    struct WindowKey: Hashable {
        var tag: Int64
        var start: Int64
    }

    /// Runs checkpoints while a writer is started.
    private let checkpointer = Mutex<Checkpointer?>(nil)

    /// Pragmas every connection that writes uses (the C benchmark uses the same).
    public static let writerPragmas = """
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = NORMAL;
        PRAGMA cache_size = -32768;
        PRAGMA temp_store = MEMORY;
        PRAGMA wal_autocheckpoint = 4096;
        PRAGMA busy_timeout = 5000;
        """

    /// While the background checkpointer runs, the writer checkpoints only if the WAL passes
    /// this many pages (256 MiB at 4 KiB pages).
    static let backstopCheckpointPages = 65_536

    public func startBackgroundWork() {
        checkpointer.withLock { current in
            guard current == nil, let c = try? Checkpointer(path: connection.path) else {
                return
            }
            try? connection.execute("PRAGMA wal_autocheckpoint = \(SQLiteStore.backstopCheckpointPages)")
            c.start()
            current = c
        }
    }

    public func stopBackgroundWork() {
        checkpointer.withLock { current in
            current?.stop()
            current = nil
            try? connection.execute("PRAGMA wal_autocheckpoint = 4096")
        }
    }

    /// Opens (creating when missing) and migrates the historian file at `path`.
    public init(path: String) throws(HistorianError) {
        _ = SQLiteStore.configured
        do {
            connection = try Connection(path: path)
            try connection.execute(SQLiteStore.writerPragmas, context: "configuring \(path)")
            let mode = try connection.text("PRAGMA journal_mode")
            guard mode == "wal" else {
                throw HistorianError("\(path): the file system refused WAL mode (journal_mode is \(mode ?? "?"))")
            }
            try Schema.migrate(connection)
            insertSample = try connection.prepare(
                "INSERT OR REPLACE INTO samples (tag, time, value, raw, status) VALUES (?1, ?2, ?3, ?4, ?5)")
            insertSamples = try connection.prepare(
                "INSERT OR REPLACE INTO samples (tag, time, value, raw, status) VALUES "
                    + Array(repeating: "(?, ?, ?, ?, ?)", count: SQLiteStore.rowsPerInsert).joined(separator: ", "))
            updateSeen = try connection.prepare(
                """
                UPDATE tags SET first_seen = min(coalesce(first_seen, ?2), ?2), last_seen = max(coalesce(last_seen, ?3), ?3)
                WHERE id = ?1
                """)
            insertGap = try connection.prepare(
                #"INSERT INTO gaps (start, "end", lost, reason) VALUES (?1, ?2, ?3, ?4)"#)
            insertMarker = try connection.prepare(
                "INSERT OR REPLACE INTO samples (tag, time, value, raw, status) VALUES (?1, ?2, NULL, NULL, ?3)")
        } catch let error as SQLiteError {
            throw HistorianError(error)
        } catch let error as HistorianError {
            throw error
        } catch {
            throw HistorianError("\(error)")
        }
    }

    public func register(_ tags: [TagDescriptor]) throws(HistorianError) -> [Int64] {
        try immediateTransaction {
            let upsert = try connection.prepare(
                """
                INSERT INTO tags (device, tag, unit, type, scale, "offset") VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                ON CONFLICT (device, tag) DO UPDATE SET unit = ?3, type = ?4, scale = ?5, "offset" = ?6
                RETURNING id
                """)
            var ids: [Int64] = []
            ids.reserveCapacity(tags.count)
            for tag in tags {
                upsert.bind(1, tag.device)
                upsert.bind(2, tag.tag)
                upsert.bind(3, tag.unit)
                upsert.bind(4, tag.type)
                upsert.bind(5, tag.scale)
                upsert.bind(6, tag.offset)
                guard try upsert.step() else { throw HistorianError("registering \(tag.path): no id returned") }
                ids.append(upsert.int64(0))
                upsert.reset()
            }
            return ids
        }
    }

    /// Runs `body` in an immediate transaction: commits after it, rolls back and wraps the error
    /// when anything in it throws.
    func immediateTransaction<T>(_ body: () throws -> T) throws(HistorianError) -> T {
        do {
            try connection.execute("BEGIN IMMEDIATE")
            let result = try body()
            try connection.execute("COMMIT")
            return result
        } catch let error as SQLiteError {
            rollback()
            throw HistorianError(error)
        } catch let error as HistorianError {
            rollback()
            throw error
        } catch {
            rollback()
            throw HistorianError("\(error)")
        }
    }

    public func begin() throws(SQLiteError) {
        try connection.execute("BEGIN")
    }

    public func insert(tag: Int64, rows: UnsafeBufferPointer<PendingRow>, texts: [String]) throws(SQLiteError) {
        var rest = rows[...]
        let many = insertSamples
        let n = SQLiteStore.rowsPerInsert
        while rest.count >= n {
            var p: Int32 = 1
            for row in rest.prefix(n) {
                many.bind(p, tag)
                many.bind(p + 1, row.time)
                SQLiteStore.bind(row.value, to: p + 2, of: many, texts: texts)
                SQLiteStore.bind(row.raw, to: p + 3, of: many, texts: texts)
                many.bind(p + 4, Int64(row.status))
                p += 5
            }
            try many.run()
            rest = rest.dropFirst(n)
        }
        let one = insertSample
        one.bind(1, tag)
        for row in rest {
            one.bind(2, row.time)
            SQLiteStore.bind(row.value, to: 3, of: one, texts: texts)
            SQLiteStore.bind(row.raw, to: 4, of: one, texts: texts)
            one.bind(5, Int64(row.status))
            try one.run()
        }
    }

    /// Process-wide SQLite settings, once, before the first connection.
    static let configured: Bool = {
        SQLiteLibrary.disableMemoryStatistics()
        return true
    }()

    /// Doubles as REAL (NaN becomes NULL: SQLite has no NaN), integers as INTEGER, text as TEXT.
    @inline(__always)
    static func bind(_ cell: PendingRow.Cell, to index: Int32, of s: Statement, texts: [String]) {
        switch cell.kind {
        case .null: s.bindNull(index)
        case .real: s.bind(index, Double(bitPattern: cell.bits))
        case .integer: s.bind(index, Int64(bitPattern: cell.bits))
        case .text: s.bind(index, texts[Int(cell.bits)])
        }
    }

    public func commit(seen: [TagSeen]) throws(SQLiteError) {
        for entry in seen {
            updateSeen.bind(1, entry.tag)
            updateSeen.bind(2, entry.first)
            updateSeen.bind(3, entry.last)
            try updateSeen.run()
        }
        if let run, let first = seen.lazy.map(\.first).min(), let last = seen.lazy.map(\.last).max() {
            run.update.bind(1, run.id)
            run.update.bind(2, first)
            run.update.bind(3, last)
            try run.update.run()
        }
        try connection.execute("COMMIT", context: "committing samples")
    }

    public func rollback() {
        if connection.inTransaction { try? connection.execute("ROLLBACK") }
    }

    public func recordGap(_ gap: Gap, status: UInt32) throws(SQLiteError) {
        insertGap.bind(1, gap.start)
        insertGap.bind(2, gap.end)
        insertGap.bind(3, Int64(gap.lost))
        insertGap.bind(4, gap.reason)
        try insertGap.run()
        for (tag, time) in gap.firstLost.sorted(by: { $0.key < $1.key }) {
            insertMarker.bind(1, tag)
            insertMarker.bind(2, time)
            insertMarker.bind(3, Int64(status))
            try insertMarker.run()
        }
    }
}
