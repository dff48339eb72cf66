import KilnCore
import KilnSQLite

/// One row of the durable queue (`remediation_runs`).
public struct RunRow: Sendable, Hashable {
    public var id: Int64
    public var rule: String
    public var host: String
    public var alarm: String
    public var episode: String
    public var attempt: Int
    public var state: RunState
    public var outcome: RemediationOutcome?
    public var mode: RemediationMode
    public var argv: [String]
    /// µs since the Unix epoch, UTC.
    public var created: Int64
    public var persistedAt: Int64
    public var due: Int64
    public var started: Int64?
    public var ended: Int64?
    public var exitCode: Int32?
    public var verifyUntil: Int64?
    public var decidedBy: String?
    public var note: String?
    public var detail: String?

    public init(
        id: Int64, rule: String, host: String, alarm: String, episode: String, attempt: Int, state: RunState,
        outcome: RemediationOutcome? = nil, mode: RemediationMode, argv: [String], created: Int64, persistedAt: Int64,
        due: Int64, started: Int64? = nil, ended: Int64? = nil, exitCode: Int32? = nil, verifyUntil: Int64? = nil,
        decidedBy: String? = nil, note: String? = nil, detail: String? = nil
    ) {
        self.id = id
        self.rule = rule
        self.host = host
        self.alarm = alarm
        self.episode = episode
        self.attempt = attempt
        self.state = state
        self.outcome = outcome
        self.mode = mode
        self.argv = argv
        self.created = created
        self.persistedAt = persistedAt
        self.due = due
        self.started = started
        self.ended = ended
        self.exitCode = exitCode
        self.verifyUntil = verifyUntil
        self.decidedBy = decidedBy
        self.note = note
        self.detail = detail
    }
}

/// Why an operator's act on the queue was refused.
public struct RunQueueError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    /// The ID named no run at all (exit 1 with the open IDs), rather than a run in another state.
    public var unknown: Bool

    public init(_ description: String, unknown: Bool = false) {
        self.description = description
        self.unknown = unknown
    }
}

/// What operators do to the queue — `kiln remediation list|approve|reject`, and the HTTP API of
/// the service issue — on any connection to the gateway's file, with or without a gateway running
/// (a running engine rescans its open rows and sees the change).
///
/// Approving and rejecting run in one immediate transaction with their audit entry.
public enum RunQueueOperators {
    static let columns = """
        id, rule, host, alarm, episode, attempt, state, outcome, mode, argv, created, persisted_at, due, started,
        ended, exit_code, verify_until, decided_by, note, detail
        """

    /// The row at the statement's current step (columns as ``columns``).
    public static func read(_ s: Statement) -> RunRow {
        func optional(_ c: Int32) -> Int64? { s.isNull(c) ? nil : s.int64(c) }
        return RunRow(
            id: s.int64(0), rule: s.string(1) ?? "", host: s.string(2) ?? "", alarm: s.string(3) ?? "",
            episode: s.string(4) ?? "", attempt: Int(s.int64(5)),
            state: RunState(rawValue: s.string(6) ?? "") ?? .done,
            outcome: s.string(7).flatMap(RemediationOutcome.init(rawValue:)),
            mode: RemediationMode(rawValue: s.string(8) ?? "") ?? .enforce,
            argv: s.string(9).flatMap(AuditEntry.argv(json:)) ?? [], created: s.int64(10), persistedAt: s.int64(11),
            due: s.int64(12), started: optional(13), ended: optional(14),
            exitCode: optional(15).map { Int32(truncatingIfNeeded: $0) }, verifyUntil: optional(16),
            decidedBy: s.string(17), note: s.string(18), detail: s.string(19))
    }

    private static func rows(_ db: Connection, _ sql: String, bind: (Statement) -> Void = { _ in })
        throws(RunQueueError) -> [RunRow]
    {
        do {
            let s = try db.prepare(sql)
            bind(s)
            var out: [RunRow] = []
            while try s.step() { out.append(read(s)) }
            return out
        } catch {
            throw RunQueueError("reading the remediation queue in \(db.path): \(error)")
        }
    }

    /// Every run not done (awaiting approval, queued, running, verifying), oldest first.
    public static func open(db: Connection) throws(RunQueueError) -> [RunRow] {
        try rows(db, "SELECT \(columns) FROM remediation_runs WHERE state != 'done' ORDER BY id")
    }

    /// The latest `limit` runs, newest first.
    public static func recent(db: Connection, limit: Int) throws(RunQueueError) -> [RunRow] {
        try rows(db, "SELECT \(columns) FROM remediation_runs ORDER BY id DESC LIMIT ?1") { $0.bind(1, Int64(limit)) }
    }

    /// The run `id`, if there is one.
    public static func row(db: Connection, id: Int64) throws(RunQueueError) -> RunRow? {
        try rows(db, "SELECT \(columns) FROM remediation_runs WHERE id = ?1") { $0.bind(1, id) }.first
    }

    /// Lets a run that waits for approval go: `queued` (still no earlier than its cooldown
    /// allows), with an audit entry `approved` by `by`.
    @discardableResult
    public static func approve(db: Connection, id: Int64, by: String, note: String? = nil, now: Int64)
        throws(RunQueueError) -> RunRow
    {
        try decide(db: db, id: id, by: by, note: note, now: now, approve: true)
    }

    /// Refuses a run that waits for approval: done, `rejected`, with an audit entry.
    @discardableResult
    public static func reject(db: Connection, id: Int64, by: String, note: String?, now: Int64)
        throws(RunQueueError) -> RunRow
    {
        try decide(db: db, id: id, by: by, note: note, now: now, approve: false)
    }

    private static func decide(db: Connection, id: Int64, by: String, note: String?, now: Int64, approve: Bool)
        throws(RunQueueError) -> RunRow
    {
        do {
            try db.execute("BEGIN IMMEDIATE")
        } catch {
            throw RunQueueError("cannot write \(db.path): \(error)")
        }
        do {
            guard var run = try row(db: db, id: id) else {
                let waiting = try open(db: db).filter { $0.state == .awaitingApproval }.map { String($0.id) }
                throw RunQueueError(
                    "no remediation run \(id); "
                        + (waiting.isEmpty
                            ? "none is waiting for approval"
                            : "waiting for approval: \(waiting.joined(separator: ", "))"),
                    unknown: true)
            }
            guard run.state == .awaitingApproval else {
                let now = run.outcome.map { "done (\($0.rawValue))" } ?? run.state.rawValue.replacing("_", with: " ")
                throw RunQueueError("run \(id) is not waiting for approval: it is \(now)")
            }
            let s =
                approve
                ? try db.prepare(
                    "UPDATE remediation_runs SET state = 'queued', decided_by = ?3, note = ?4 WHERE id = ?1 AND ?2 IS NOT NULL"
                )
                : try db.prepare(
                    "UPDATE remediation_runs SET state = 'done', outcome = 'rejected', ended = ?2, decided_by = ?3, "
                        + "note = ?4 WHERE id = ?1")
            s.bind(1, id)
            s.bind(2, now)
            s.bind(3, by)
            s.bind(4, note)
            try s.run()
            try AuditLog.append(
                AuditEntry(
                    time: now, run: id, rule: run.rule, episode: run.episode, host: run.host, argv: run.argv,
                    outcome: approve ? .approved : .rejected, by: by, detail: note),
                to: db)
            try db.execute("COMMIT")
            run.decidedBy = by
            run.note = note
            if approve {
                run.state = .queued
            } else {
                run.state = .done
                run.outcome = .rejected
                run.ended = now
            }
            return run
        } catch let error as RunQueueError {
            try? db.execute("ROLLBACK")
            throw error
        } catch {
            try? db.execute("ROLLBACK")
            throw RunQueueError("cannot write \(db.path): \(error)")
        }
    }
}
