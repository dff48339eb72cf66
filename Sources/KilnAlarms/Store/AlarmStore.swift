import KilnCore
import KilnSQLite

/// The alarm engine's connection to the gateway's SQLite file: loads the alarms' state, and
/// writes every state change with its history and outbox rows in one transaction.
///
/// `@unchecked Sendable`: used by one thread at a time (the alarm sink's, or a CLI command),
/// like its connection.
public final class AlarmStore: @unchecked Sendable {
    public let connection: Connection
    let outbox: OutboxWriter?
    private let upsert: Statement
    private let insertHistory: Statement

    /// Opens (creating when missing) and migrates the file.
    ///
    /// - Parameters:
    ///   - hooks: the hooks whose outboxes events go to; nil when unknown (a `--db` command):
    ///     its history rows are then left for the engine to queue.
    public init(path: String, hooks: [HookConfig]?, create: Bool = true) throws(AlarmStoreError) {
        do {
            let connection = try Connection(path: path, create: create)
            self.connection = connection
            try connection.execute(
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                    + "PRAGMA wal_autocheckpoint = 0",
                context: "configuring \(path)")
            // Its commits are on the sample → webhook path: not held back by SQLite's back-off
            // behind the historian's flush, and never the one that checkpoints the WAL (with the
            // default wal_autocheckpoint, the commit that finds the historian's WAL past 1,000
            // pages copies it into the file first: tens of ms under ingest). The historian's
            // checkpointer does that off this path; SQLite checkpoints at the last close anyway.
            connection.waitForLocksUrgently()
            do {
                try AlarmSchema.migrator().migrate(connection)
            } catch {
                throw AlarmStoreError("\(path): \(error.message)")
            }
            if let hooks {
                outbox = try OutboxWriter(connection: connection, hooks: hooks)
            } else {
                outbox = nil
            }
            upsert = try connection.prepare(
                """
                INSERT OR REPLACE INTO alarm_state (path, name, kind, device, tag, severity, "limit", limit_text, latch,
                    on_delay, off_delay, out_of_service, condition, condition_since, active, acked, latched_clear,
                    shelved, shelved_until, shelve_reason, suppressed, notified, episode, episode_activated,
                    active_since, seq, chattering, activations, value, status, state, updated)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                    ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)
                """)
            insertHistory = try connection.prepare(
                """
                INSERT INTO alarm_history (time, alarm, device, tag, episode, transition, state, event, queued)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                """)
        } catch let error as AlarmStoreError {
            throw error
        } catch {
            throw AlarmStoreError("\(path): \(error)")
        }
    }

    // MARK: State

    /// Every persisted alarm.
    public func load() throws(AlarmStoreError) -> [AlarmRecord] {
        do {
            let q = try connection.prepare(
                """
                SELECT path, name, kind, device, tag, severity, "limit", limit_text, latch, on_delay, off_delay,
                    out_of_service, condition, condition_since, active, acked, latched_clear, shelved, shelved_until,
                    shelve_reason, suppressed, notified, episode, episode_activated, active_since, seq, chattering,
                    activations, value, status, updated
                FROM alarm_state ORDER BY path
                """)
            var out: [AlarmRecord] = []
            while try q.step() {
                func int(_ c: Int32) -> Int64? { q.isNull(c) ? nil : q.int64(c) }
                var r = AlarmRecord(
                    path: q.string(0) ?? "", name: q.string(1) ?? "",
                    kind: AlarmKind(rawValue: q.string(2) ?? "") ?? .process, device: q.string(3), tag: q.string(4),
                    severity: AlarmSeverity(rawValue: q.string(5) ?? "") ?? .warning,
                    limit: q.isNull(6) ? nil : q.double(6), limitText: q.string(7), latch: q.int64(8) != 0,
                    onDelay: q.int64(9), offDelay: q.int64(10), outOfService: q.int64(11) != 0)
                r.condition = q.int64(12) != 0
                r.conditionSince = q.int64(13)
                r.active = q.int64(14) != 0
                r.acked = q.int64(15) != 0
                r.latchedClear = q.int64(16) != 0
                r.shelved = q.int64(17) != 0
                r.shelvedUntil = int(18)
                r.shelveReason = q.string(19)
                r.suppressed = q.int64(20) != 0
                r.notified = q.int64(21) != 0
                r.episode = q.string(22)
                r.episodeActivated = q.int64(23) != 0
                r.activeSince = int(24)
                r.seq = Int(q.int64(25))
                r.chattering = q.int64(26) != 0
                r.activations = (q.string(27) ?? "").split(separator: ",").compactMap { Int64($0) }
                r.value = q.isNull(28) ? nil : q.double(28)
                r.status = q.string(29)
                r.updated = q.int64(30)
                out.append(r)
            }
            return out
        } catch {
            throw AlarmStoreError("\(connection.path): reading the alarms' state: \(error)")
        }
    }

    /// Writes changed alarms, their events' history and outbox rows, and finishes commands, in
    /// one immediate transaction.
    ///
    /// - Returns: how many outbox rows were written (ring the doorbell when positive).
    @discardableResult
    public func commit(
        changed: [AlarmRecord], events: [AlarmEvent],
        commands: [(id: Int64, result: Result<Void, AlarmCommandError>)] = [],
        now: Int64
    ) throws(AlarmStoreError) -> Int {
        do {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                let queued = try commitLocked(changed: changed, events: events)
                for c in commands { try finishCommand(c.id, result: c.result, now: now) }
                try connection.execute("COMMIT")
                return queued
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        } catch {
            throw AlarmStoreError("\(connection.path): writing alarm state: \(error)")
        }
    }

    /// The writes of ``commit(changed:events:commands:now:)`` inside the caller's transaction.
    func commitLocked(changed: [AlarmRecord], events: [AlarmEvent]) throws(SQLiteError) -> Int {
        for r in changed { try write(r) }
        var queued = 0
        for e in events { queued += try record(e) }
        return queued
    }

    /// Replaces every record (an engine's start: its config's alarms, no others; an alarm no
    /// longer configured leaves the file, its history stays).
    public func writeAll(_ records: [AlarmRecord]) throws(AlarmStoreError) {
        do {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                try connection.execute("DELETE FROM alarm_state")
                for r in records { try write(r) }
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        } catch {
            throw AlarmStoreError("\(connection.path): writing alarm state: \(error)")
        }
    }

    private func write(_ r: AlarmRecord) throws(SQLiteError) {
        let u = upsert
        u.bind(1, r.path)
        u.bind(2, r.name)
        u.bind(3, r.kind.rawValue)
        u.bind(4, r.device)
        u.bind(5, r.tag)
        u.bind(6, r.severity.rawValue)
        u.bind(7, r.limit)
        u.bind(8, r.limitText)
        u.bind(9, Int64(r.latch ? 1 : 0))
        u.bind(10, r.onDelay)
        u.bind(11, r.offDelay)
        u.bind(12, Int64(r.outOfService ? 1 : 0))
        u.bind(13, Int64(r.condition ? 1 : 0))
        u.bind(14, r.conditionSince)
        u.bind(15, Int64(r.active ? 1 : 0))
        u.bind(16, Int64(r.acked ? 1 : 0))
        u.bind(17, Int64(r.latchedClear ? 1 : 0))
        u.bind(18, Int64(r.shelved ? 1 : 0))
        u.bind(19, r.shelvedUntil)
        u.bind(20, r.shelveReason)
        u.bind(21, Int64(r.suppressed ? 1 : 0))
        u.bind(22, Int64(r.notified ? 1 : 0))
        u.bind(23, r.episode)
        u.bind(24, Int64(r.episodeActivated ? 1 : 0))
        u.bind(25, r.activeSince)
        u.bind(26, Int64(r.seq))
        u.bind(27, Int64(r.chattering ? 1 : 0))
        u.bind(28, r.activations.map(String.init).joined(separator: ","))
        u.bind(29, r.value.flatMap { $0.isFinite ? $0 : nil })
        u.bind(30, r.status)
        u.bind(31, r.state.rawValue)
        u.bind(32, r.updated)
        try u.run()
    }

    /// The history row of `event`, and its outbox rows (when the hooks are known).
    private func record(_ e: AlarmEvent) throws(SQLiteError) -> Int {
        let body = e.json()
        let h = insertHistory
        h.bind(1, e.time)
        h.bind(2, e.alarm)
        h.bind(3, e.device)
        h.bind(4, e.tag)
        h.bind(5, e.episode)
        h.bind(6, e.transition.rawValue)
        h.bind(7, e.state.rawValue)
        h.bind(8, body)
        h.bind(9, Int64(outbox == nil ? 0 : 1))
        try h.run()
        return try outbox?.enqueue(e) ?? 0
    }

    /// Queues to the outbox the events a `--db` command wrote while no engine ran.
    ///
    /// - Returns: the outbox rows written.
    public func queueUnqueued() throws(AlarmStoreError) -> Int {
        guard let outbox else { return 0 }
        do {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                let q = try connection.prepare("SELECT id, event FROM alarm_history WHERE queued = 0 ORDER BY id")
                var rows: [(Int64, AlarmEvent)] = []
                while try q.step() {
                    let bytes = q.withBlob(1) { Array($0) }
                    if let e = AlarmEvent(json: bytes) { rows.append((q.int64(0), e)) }
                }
                var written = 0
                for (_, e) in rows { written += try outbox.enqueue(e) }
                try connection.execute("UPDATE alarm_history SET queued = 1 WHERE queued = 0")
                try connection.execute("COMMIT")
                return written
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        } catch {
            throw AlarmStoreError("\(connection.path): queueing commands' events: \(error)")
        }
    }

    // MARK: Engine heartbeat

    /// Records that an engine runs (pid) and is alive at `now` (wall-clock µs).
    public func heartbeat(pid: Int32, started: Int64, now: Int64) throws(AlarmStoreError) {
        do {
            let s = try connection.prepare(
                "INSERT OR REPLACE INTO alarm_engine (id, pid, started, heartbeat) VALUES (1, ?1, ?2, ?3)")
            s.bind(1, Int64(pid))
            s.bind(2, started)
            s.bind(3, now)
            try s.run()
        } catch {
            throw AlarmStoreError("\(connection.path): engine heartbeat: \(error)")
        }
    }

    /// The engine stopped: no heartbeat (commands are applied by the CLI itself again).
    public func clearHeartbeat() {
        try? connection.execute("DELETE FROM alarm_engine")
    }

    /// The heartbeat's time (wall-clock µs), if an engine recorded one.
    public func lastHeartbeat() throws(AlarmStoreError) -> Int64? {
        do {
            return try connection.scalar("SELECT heartbeat FROM alarm_engine WHERE id = 1")
        } catch {
            throw AlarmStoreError("\(connection.path): \(error)")
        }
    }

    // MARK: Commands

    /// Commands waiting for the engine, oldest first.
    public func pendingCommands() throws(AlarmStoreError) -> [(id: Int64, command: AlarmCommand)] {
        do {
            let q = try connection.prepare(
                "SELECT id, action, target, note, duration, by FROM alarm_commands WHERE done IS NULL ORDER BY id")
            var out: [(Int64, AlarmCommand)] = []
            while try q.step() {
                guard let action = AlarmCommand.Action(rawValue: q.string(1) ?? "") else { continue }
                out.append(
                    (
                        q.int64(0),
                        AlarmCommand(
                            action: action, target: q.string(2) ?? "", note: q.string(3),
                            duration: q.isNull(4) ? nil : .microseconds(q.int64(4)), by: q.string(5) ?? "?")
                    ))
            }
            return out
        } catch {
            throw AlarmStoreError("\(connection.path): reading alarm commands: \(error)")
        }
    }

    /// Queues a command for the running engine; returns its id.
    public func submit(_ c: AlarmCommand, now: Int64) throws(AlarmStoreError) -> Int64 {
        do {
            let s = try connection.prepare(
                "INSERT INTO alarm_commands (created, action, target, note, duration, by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            )
            s.bind(1, now)
            s.bind(2, c.action.rawValue)
            s.bind(3, c.target)
            s.bind(4, c.note)
            s.bind(5, c.duration?.wholeMicroseconds)
            s.bind(6, c.by)
            try s.run()
            return try connection.scalar("SELECT last_insert_rowid()") ?? 0
        } catch {
            throw AlarmStoreError("\(connection.path): queueing the command: \(error)")
        }
    }

    /// A command's outcome: nil while pending; else whether it applied and the engine's words.
    public func outcome(of id: Int64) throws(AlarmStoreError) -> (ok: Bool, result: String)? {
        do {
            let q = try connection.prepare("SELECT done, ok, result FROM alarm_commands WHERE id = ?1")
            q.bind(1, id)
            guard try q.step(), !q.isNull(0) else { return nil }
            return (q.int64(1) != 0, q.string(2) ?? "")
        } catch {
            throw AlarmStoreError("\(connection.path): reading the command's outcome: \(error)")
        }
    }

    /// Withdraws a pending command (the engine did not take it in time); false when the engine
    /// took it meanwhile.
    public func withdraw(_ id: Int64, now: Int64) throws(AlarmStoreError) -> Bool {
        do {
            let s = try connection.prepare(
                "UPDATE alarm_commands SET done = ?2, ok = 0, result = 'withdrawn: no engine answered' WHERE id = ?1 AND done IS NULL"
            )
            s.bind(1, id)
            s.bind(2, now)
            try s.run()
            return connection.changes == 1
        } catch {
            throw AlarmStoreError("\(connection.path): withdrawing the command: \(error)")
        }
    }

    private func finishCommand(_ id: Int64, result: Result<Void, AlarmCommandError>, now: Int64) throws(SQLiteError) {
        let s = try connection.prepare("UPDATE alarm_commands SET done = ?2, ok = ?3, result = ?4 WHERE id = ?1")
        s.bind(1, id)
        s.bind(2, now)
        switch result {
        case .success:
            s.bind(3, Int64(1))
            s.bind(4, "applied")
        case .failure(let e):
            s.bind(3, Int64(0))
            s.bind(4, e.message)
        }
        try s.run()
    }

    // MARK: History

    /// Events from `from` (µs) on, of one tag (`device/tag`) when given, oldest first.
    public func history(from: Int64? = nil, tag: String? = nil, limit: Int = 10_000) throws(AlarmStoreError)
        -> [AlarmEvent]
    {
        do {
            var sql = "SELECT event FROM alarm_history WHERE time >= ?1"
            if tag != nil { sql += " AND (device || '/' || coalesce(tag, '')) = ?2" }
            sql += " ORDER BY id LIMIT \(limit)"
            let q = try connection.prepare(sql)
            q.bind(1, from ?? .min)
            if let tag { q.bind(2, tag) }
            var out: [AlarmEvent] = []
            while try q.step() {
                if let e = AlarmEvent(json: q.withBlob(0) { Array($0) }) { out.append(e) }
            }
            return out
        } catch {
            throw AlarmStoreError("\(connection.path): reading alarm history: \(error)")
        }
    }
}

/// A failure of the alarms' SQLite file, with the file and what was being done.
public struct AlarmStoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
