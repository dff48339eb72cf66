import KilnAlarms
import KilnCore
import KilnSQLite

/// One pending outbox row, as a sender takes it.
public struct OutboxRow: Sendable, Hashable {
    public var id: Int64
    public var hook: String
    /// The event id: the `webhook-id`.
    public var event: String
    public var episode: String
    /// µs since the epoch.
    public var created: Int64
    public var body: [UInt8]
    public var attempts: Int
    public var nextAttempt: Int64

    public init(
        id: Int64, hook: String, event: String, episode: String, created: Int64, body: [UInt8], attempts: Int,
        nextAttempt: Int64
    ) {
        self.id = id
        self.hook = hook
        self.event = event
        self.episode = episode
        self.created = created
        self.body = body
        self.attempts = attempts
        self.nextAttempt = nextAttempt
    }
}

/// A hook's figures for `kiln hooks status`.
public struct HookStatus: Sendable, Hashable {
    public var hook: String
    public var pending: Int
    public var oldestPending: Int64?
    /// The most attempts of a pending row.
    public var attempts: Int
    public var delivered: Int
    public var dead: Int
    public var disabled: Bool
    public var disabledReason: String?
    public var lastError: String?
    public var lastErrorAt: Int64?
    public var lastSuccess: Int64?
}

/// The hooks' own connection to the gateway's SQLite file (WAL, busy_timeout 5000): the alarm
/// engine writes the same file from another connection.
///
/// `@unchecked Sendable`: each delivery task owns its store and uses it from one task at a time.
public final class OutboxStore: @unchecked Sendable {
    public let connection: Connection
    private let pendingRows: Statement
    private let delivered: Statement
    private let failed: Statement
    private let expire: Statement
    private let prune: Statement
    private let success: Statement
    private let failure: Statement

    /// Opens (and migrates) the file at `path`.
    public init(path: String) throws(SQLiteError) {
        connection = try Connection(path: path)
        try connection.execute("PRAGMA busy_timeout = 5000")
        try connection.execute("PRAGMA journal_mode = WAL")
        try connection.execute("PRAGMA synchronous = NORMAL")
        // Never the connection that checkpoints the WAL (see AlarmStore): the historian's does.
        try connection.execute("PRAGMA wal_autocheckpoint = 0")
        // Marking rows delivered precedes the next delivery: not held back by SQLite's back-off.
        connection.waitForLocksUrgently()
        do {
            try Migrator(HookSchema.lists).migrate(connection)
        } catch {
            throw error.sqlite ?? SQLiteError(code: 1, message: error.message, context: "migrating \(path)")
        }
        pendingRows = try connection.prepare(
            """
            SELECT id, hook, event, episode, created, body, attempts, next_attempt FROM hook_outbox
            WHERE hook = ?1 AND state = 'pending' ORDER BY id LIMIT ?2
            """)
        delivered = try connection.prepare(
            "UPDATE hook_outbox SET state = 'delivered', finished = ?2, attempts = attempts + 1 WHERE id = ?1")
        failed = try connection.prepare(
            """
            UPDATE hook_outbox SET attempts = attempts + 1, next_attempt = ?2, last_error = ?3
            WHERE id = ?1 AND state = 'pending'
            """)
        expire = try connection.prepare(
            """
            UPDATE hook_outbox SET state = 'dead', finished = ?3,
                last_error = coalesce(last_error || '; ', '') || 'undelivered past max_age'
            WHERE hook = ?1 AND state = 'pending' AND created < ?2
            """)
        prune = try connection.prepare(
            "DELETE FROM hook_outbox WHERE hook = ?1 AND state = 'delivered' AND finished < ?2")
        success = try connection.prepare(
            """
            INSERT INTO hook_state (hook, last_success) VALUES (?1, ?2)
            ON CONFLICT (hook) DO UPDATE SET last_success = ?2
            """)
        failure = try connection.prepare(
            """
            INSERT INTO hook_state (hook, last_error, last_error_at) VALUES (?1, ?2, ?3)
            ON CONFLICT (hook) DO UPDATE SET last_error = ?2, last_error_at = ?3
            """)
    }

    /// Up to `limit` pending rows of `hook`, in id order.
    public func pending(hook: String, limit: Int) throws(SQLiteError) -> [OutboxRow] {
        pendingRows.reset()
        pendingRows.bind(1, hook)
        pendingRows.bind(2, Int64(limit))
        defer { pendingRows.reset() }
        var rows: [OutboxRow] = []
        while try pendingRows.step() {
            let body = pendingRows.withBlob(5) { Array($0) }
            rows.append(
                OutboxRow(
                    id: pendingRows.int64(0), hook: pendingRows.string(1) ?? "", event: pendingRows.string(2) ?? "",
                    episode: pendingRows.string(3) ?? "", created: pendingRows.int64(4), body: body,
                    attempts: Int(pendingRows.int64(6)), nextAttempt: pendingRows.int64(7)))
        }
        return rows
    }

    /// Marks rows delivered, in one transaction.
    public func markDelivered(_ ids: [Int64], hook: String, at now: Int64) throws(SQLiteError) {
        guard !ids.isEmpty else { return }
        try transaction { () throws(SQLiteError) in
            for id in ids {
                delivered.bind(1, id)
                delivered.bind(2, now)
                try delivered.run()
            }
            success.bind(1, hook)
            success.bind(2, now)
            try success.run()
        }
    }

    /// Records a failed attempt of row `id`.
    public func markFailed(_ id: Int64, hook: String, error: String, nextAttempt: Int64, at now: Int64)
        throws(SQLiteError)
    {
        if connection.inTransaction {
            try recordFailure(id, hook: hook, error: error, nextAttempt: nextAttempt, at: now)
        } else {
            try transaction { () throws(SQLiteError) in
                try recordFailure(id, hook: hook, error: error, nextAttempt: nextAttempt, at: now)
            }
        }
    }

    private func recordFailure(_ id: Int64, hook: String, error: String, nextAttempt: Int64, at now: Int64)
        throws(SQLiteError)
    {
        failed.bind(1, id)
        failed.bind(2, nextAttempt)
        failed.bind(3, error)
        try failed.run()
        failure.bind(1, hook)
        failure.bind(2, error)
        failure.bind(3, now)
        try failure.run()
    }

    /// Moves `hook`'s pending rows created before `cutoff` to the dead letters.
    @discardableResult
    public func expire(hook: String, createdBefore cutoff: Int64, at now: Int64) throws(SQLiteError) -> Int {
        expire.bind(1, hook)
        expire.bind(2, cutoff)
        expire.bind(3, now)
        try expire.run()
        return connection.changes
    }

    /// Deletes `hook`'s rows delivered before `cutoff`.
    public func prune(hook: String, deliveredBefore cutoff: Int64) throws(SQLiteError) {
        prune.bind(1, hook)
        prune.bind(2, cutoff)
        try prune.run()
    }

    /// Whether `hook` was disabled (by a 410 Gone).
    public func isDisabled(_ hook: String) throws(SQLiteError) -> Bool {
        let s = try connection.prepare("SELECT disabled FROM hook_state WHERE hook = ?1")
        s.bind(1, hook)
        return try s.step() && s.int64(0) != 0
    }

    /// Disables (or re-enables) `hook`.
    public func setDisabled(_ hook: String, _ disabled: Bool, reason: String?) throws(SQLiteError) {
        let s = try connection.prepare(
            """
            INSERT INTO hook_state (hook, disabled, disabled_reason) VALUES (?1, ?2, ?3)
            ON CONFLICT (hook) DO UPDATE SET disabled = ?2, disabled_reason = ?3
            """)
        s.bind(1, hook)
        s.bind(2, Int64(disabled ? 1 : 0))
        s.bind(3, reason)
        try s.run()
    }

    /// Counts of pending and dead rows of `hook`.
    public func counts(hook: String) throws(SQLiteError) -> (pending: Int, dead: Int) {
        let s = try connection.prepare(
            "SELECT state, count(*) FROM hook_outbox WHERE hook = ?1 AND state != 'delivered' GROUP BY state")
        s.bind(1, hook)
        var pending = 0
        var dead = 0
        while try s.step() {
            if s.string(0) == "pending" { pending = Int(s.int64(1)) } else { dead = Int(s.int64(1)) }
        }
        return (pending, dead)
    }

    /// Every hook's status: the hooks named plus any other the file knows.
    public func status(hooks names: [String]) throws(SQLiteError) -> [HookStatus] {
        var all = names
        let known = try connection.prepare(
            "SELECT DISTINCT hook FROM hook_outbox UNION SELECT hook FROM hook_state ORDER BY 1")
        while try known.step() {
            if let name = known.string(0), !all.contains(name) { all.append(name) }
        }
        let figures = try connection.prepare(
            """
            SELECT
                (SELECT count(*) FROM hook_outbox WHERE hook = ?1 AND state = 'pending'),
                (SELECT min(created) FROM hook_outbox WHERE hook = ?1 AND state = 'pending'),
                (SELECT coalesce(max(attempts), 0) FROM hook_outbox WHERE hook = ?1 AND state = 'pending'),
                (SELECT count(*) FROM hook_outbox WHERE hook = ?1 AND state = 'delivered'),
                (SELECT count(*) FROM hook_outbox WHERE hook = ?1 AND state = 'dead')
            """)
        let state = try connection.prepare(
            "SELECT disabled, disabled_reason, last_error, last_error_at, last_success FROM hook_state WHERE hook = ?1")
        var result: [HookStatus] = []
        for name in all {
            figures.reset()
            figures.bind(1, name)
            _ = try figures.step()
            var s = HookStatus(
                hook: name, pending: Int(figures.int64(0)), oldestPending: figures.isNull(1) ? nil : figures.int64(1),
                attempts: Int(figures.int64(2)), delivered: Int(figures.int64(3)), dead: Int(figures.int64(4)),
                disabled: false)
            figures.reset()
            state.reset()
            state.bind(1, name)
            if try state.step() {
                s.disabled = state.int64(0) != 0
                s.disabledReason = state.string(1)
                s.lastError = state.string(2)
                s.lastErrorAt = state.isNull(3) ? nil : state.int64(3)
                s.lastSuccess = state.isNull(4) ? nil : state.int64(4)
            }
            state.reset()
            result.append(s)
        }
        return result
    }

    /// The dead letters of `hook` (every hook when nil), oldest first.
    public func deadLetters(hook: String?) throws(SQLiteError) -> [(row: OutboxRow, error: String?)] {
        let s = try connection.prepare(
            """
            SELECT id, hook, event, episode, created, body, attempts, next_attempt, last_error FROM hook_outbox
            WHERE state = 'dead' AND (?1 IS NULL OR hook = ?1) ORDER BY id
            """)
        s.bind(1, hook)
        var rows: [(row: OutboxRow, error: String?)] = []
        while try s.step() {
            let row = OutboxRow(
                id: s.int64(0), hook: s.string(1) ?? "", event: s.string(2) ?? "", episode: s.string(3) ?? "",
                created: s.int64(4), body: s.withBlob(5) { Array($0) }, attempts: Int(s.int64(6)),
                nextAttempt: s.int64(7))
            rows.append((row, s.string(8)))
        }
        return rows
    }

    /// Runs `body` in one immediate transaction.
    public func transaction<R>(_ body: () throws(SQLiteError) -> R) throws(SQLiteError) -> R {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try connection.execute("COMMIT")
            return result
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
