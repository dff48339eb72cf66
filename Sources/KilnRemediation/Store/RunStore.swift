import KilnCore
import KilnSQLite

/// The remediation engine's own connection to the gateway's file: the durable queue's writes,
/// each with its audit entry in one immediate transaction, and the breaker's state.
///
/// `@unchecked Sendable`: created by the service's init and then used only by its engine loop,
/// one call at a time (operators' in-process calls open their own connection).
public final class RunStore: @unchecked Sendable {
    public let db: Connection

    /// Opens (and migrates) the remediation tables in the file at `path`.
    public init(path: String) throws(SQLiteError) {
        db = try Connection(path: path)
        try db.execute("PRAGMA busy_timeout = 5000")
        try db.execute("PRAGMA journal_mode = WAL")
        try db.execute("PRAGMA synchronous = NORMAL")
        // The historian's connection checkpoints the WAL (see AlarmStore).
        try db.execute("PRAGMA wal_autocheckpoint = 0")
        db.waitForLocksUrgently()
        do {
            _ = try Migrator([RemediationSchema.migrations]).migrate(db)
        } catch {
            throw error.sqlite ?? SQLiteError(code: 1, message: error.message, context: "migrating \(path)")
        }
    }

    // MARK: Reading

    /// Every run not done, oldest first.
    public func open() throws(RunQueueError) -> [RunRow] { try RunQueueOperators.open(db: db) }

    public func row(id: Int64) throws(RunQueueError) -> RunRow? { try RunQueueOperators.row(db: db, id: id) }

    /// Whether the episode already has a run of the rule (any attempt).
    public func hasRun(rule: String, episode: String) throws(SQLiteError) -> Bool {
        let s = try db.prepare("SELECT 1 FROM remediation_runs WHERE rule = ?1 AND episode = ?2 LIMIT 1")
        s.bind(1, rule)
        s.bind(2, episode)
        return try s.step()
    }

    /// The latest start of `rule` on `host` by another episode than `excluding` (µs), if any.
    public func lastStart(rule: String, host: String, excluding episode: String? = nil) throws(SQLiteError) -> Int64? {
        let s = try db.prepare(
            "SELECT max(started) FROM remediation_runs WHERE rule = ?1 AND host = ?2 AND episode IS NOT ?3")
        s.bind(1, rule)
        s.bind(2, host)
        s.bind(3, episode)
        guard try s.step(), !s.isNull(0) else { return nil }
        return s.int64(0)
    }

    /// Runs started after `since` (µs), across every rule.
    public func startedCount(since: Int64) throws(SQLiteError) -> Int {
        let s = try db.prepare("SELECT count(*) FROM remediation_runs WHERE started > ?1")
        s.bind(1, since)
        _ = try s.step()
        return Int(s.int64(0))
    }

    /// A value of `remediation_state`.
    public func state(_ key: String) throws(SQLiteError) -> Int64? {
        let s = try db.prepare("SELECT value FROM remediation_state WHERE key = ?1")
        s.bind(1, key)
        guard try s.step(), !s.isNull(0) else { return nil }
        return s.int64(0)
    }

    // MARK: Writing

    /// Runs `body` in one immediate transaction, with the audit entries it returns appended last.
    /// Returns the entries as written (numbered and hashed).
    @discardableResult
    public func transaction(_ body: () throws -> [AuditEntry]) throws -> [AuditEntry] {
        try db.execute("BEGIN IMMEDIATE")
        do {
            var written: [AuditEntry] = []
            for entry in try body() { written.append(try AuditLog.append(entry, to: db)) }
            try db.execute("COMMIT")
            return written
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    /// Inserts a run (inside ``transaction(_:)``); nil when the rule, episode and attempt already
    /// have one.
    public func insert(_ r: RunRow) throws(SQLiteError) -> Int64? {
        let s = try db.prepare(
            """
            INSERT OR IGNORE INTO remediation_runs (rule, host, alarm, episode, attempt, state, outcome, mode, argv,
                created, persisted_at, due, ended, detail)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
            """)
        s.bind(1, r.rule)
        s.bind(2, r.host)
        s.bind(3, r.alarm)
        s.bind(4, r.episode)
        s.bind(5, Int64(r.attempt))
        s.bind(6, r.state.rawValue)
        s.bind(7, r.outcome?.rawValue)
        s.bind(8, r.mode.rawValue)
        s.bind(9, AuditEntry.json(r.argv))
        s.bind(10, r.created)
        s.bind(11, r.persistedAt)
        s.bind(12, r.due)
        s.bind(13, r.ended)
        s.bind(14, r.detail)
        try s.run()
        guard db.changes == 1 else { return nil }
        return try db.scalar("SELECT last_insert_rowid()")
    }

    /// Moves a queued run to `running` at `started` (inside a transaction); false when it is no
    /// longer queued.
    public func markRunning(id: Int64, started: Int64) throws(SQLiteError) -> Bool {
        let s = try db.prepare(
            "UPDATE remediation_runs SET state = 'running', started = ?2, detail = NULL WHERE id = ?1 AND state = 'queued'"
        )
        s.bind(1, id)
        s.bind(2, started)
        try s.run()
        return db.changes == 1
    }

    /// Ends a run, or moves it to `verifying` (inside a transaction).
    public func finish(
        id: Int64, state: RunState, outcome: RemediationOutcome, started: Int64? = nil, ended: Int64,
        exitCode: Int32? = nil, verifyUntil: Int64? = nil, detail: String?
    ) throws(SQLiteError) {
        let s = try db.prepare(
            """
            UPDATE remediation_runs SET state = ?2, outcome = ?3, started = coalesce(?4, started), ended = ?5,
                exit_code = ?6, verify_until = ?7, detail = ?8
            WHERE id = ?1
            """)
        s.bind(1, id)
        s.bind(2, state.rawValue)
        s.bind(3, outcome.rawValue)
        s.bind(4, started)
        s.bind(5, ended)
        s.bind(6, exitCode.map { Int64($0) })
        s.bind(7, verifyUntil)
        s.bind(8, detail)
        try s.run()
    }

    /// Sets what people read about a waiting run (why it is held), and when it is due.
    public func hold(id: Int64, due: Int64, detail: String?) throws(SQLiteError) {
        let s = try db.prepare("UPDATE remediation_runs SET due = ?2, detail = ?3 WHERE id = ?1 AND state = 'queued'")
        s.bind(1, id)
        s.bind(2, due)
        s.bind(3, detail)
        try s.run()
    }

    /// Sets (or with nil removes) a value of `remediation_state` (inside a transaction).
    public func setState(_ key: String, _ value: Int64?) throws(SQLiteError) {
        if let value {
            let s = try db.prepare(
                "INSERT INTO remediation_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2")
            s.bind(1, key)
            s.bind(2, value)
            try s.run()
        } else {
            let s = try db.prepare("DELETE FROM remediation_state WHERE key = ?1")
            s.bind(1, key)
            try s.run()
        }
    }
}
