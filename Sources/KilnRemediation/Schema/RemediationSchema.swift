import KilnSQLite

/// Remediation's tables in the gateway's SQLite file: the durable queue of runs and the
/// hash-chained audit log.
///
/// A run row is written before anything happens on a host: `queued` (or `awaiting_approval`)
/// when its rule's condition has persisted, `running` committed before `ssh` is spawned, `done`
/// with its outcome after. A row found `running` at start was cut short by a crash: it is
/// recorded `interrupted` and never run again blindly (its rule's `retry_interrupted` decides
/// whether a new attempt is queued).
public enum RemediationSchema {
    /// The module name in `kiln_migrations`.
    public static let module = "remediation"

    /// Append-only: a released step is never edited.
    public static let migrations: [Migration] = [
        Migration(
            module: module, version: 1,
            sql: """
                CREATE TABLE remediation_runs (
                    -- The ID of `kiln remediation approve|reject ID`.
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    rule TEXT NOT NULL,
                    host TEXT NOT NULL,
                    -- The alarm path and episode that triggered it.
                    alarm TEXT NOT NULL,
                    episode TEXT NOT NULL,
                    -- 1 for an episode's first run, then one more per retry.
                    attempt INTEGER NOT NULL,
                    -- awaiting_approval | queued | running | verifying | done
                    state TEXT NOT NULL,
                    -- When done: a RemediationOutcome raw value.
                    outcome TEXT,
                    mode TEXT NOT NULL,
                    -- The remote argv as rendered when the run was queued (JSON array of strings):
                    -- what an approver approves is exactly what runs.
                    argv TEXT NOT NULL,
                    -- Microseconds since the Unix epoch, UTC.
                    created INTEGER NOT NULL,
                    -- When the condition had persisted (active_since + persists).
                    persisted_at INTEGER NOT NULL,
                    -- Not before (cooldown, retry back-off).
                    due INTEGER NOT NULL,
                    started INTEGER,
                    ended INTEGER,
                    exit_code INTEGER,
                    -- verifying: the verify condition must hold before this.
                    verify_until INTEGER,
                    -- Who approved or rejected (`cli:root`, `api:NAME`), and their note.
                    decided_by TEXT,
                    note TEXT,
                    -- For people: why it is held, what failed.
                    detail TEXT,
                    UNIQUE (rule, episode, attempt)
                );
                CREATE INDEX remediation_runs_open ON remediation_runs (state) WHERE state != 'done';
                CREATE INDEX remediation_runs_started ON remediation_runs (started);
                CREATE TABLE remediation_audit (
                    seq INTEGER PRIMARY KEY,
                    time INTEGER NOT NULL,
                    run INTEGER,
                    rule TEXT NOT NULL,
                    episode TEXT,
                    host TEXT,
                    -- The host key seen (`SHA256:...`), or offered and refused.
                    fingerprint TEXT,
                    -- JSON array of strings: the exact remote argv.
                    argv TEXT,
                    started INTEGER,
                    ended INTEGER,
                    exit_code INTEGER,
                    -- The first and last 4 KiB of each stream.
                    stdout_head BLOB,
                    stdout_tail BLOB,
                    stderr_head BLOB,
                    stderr_tail BLOB,
                    outcome TEXT NOT NULL,
                    by TEXT,
                    detail TEXT,
                    -- Hex SHA-256: the previous entry's hash, and this entry's over it and its content.
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                -- The last entry written, so a deleted tail shows too.
                CREATE TABLE remediation_audit_head (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    seq INTEGER NOT NULL,
                    hash TEXT NOT NULL
                );
                -- Small durable facts: the breaker's opening time.
                CREATE TABLE remediation_state (
                    key TEXT PRIMARY KEY,
                    value INTEGER
                );
                """)
    ]
}
