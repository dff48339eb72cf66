import KilnSQLite

/// The alarm engine's tables in the gateway's SQLite file (module "alarms").
public enum AlarmSchema {
    public static let module = "alarms"

    /// Append-only: a released step is never edited.
    public static let migrations: [Migration] = [
        Migration(
            module: module, version: 1,
            sql: """
                -- One row per alarm: its state, episode and timers, so a restart resumes it.
                CREATE TABLE alarm_state (
                    path TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    device TEXT,
                    tag TEXT,
                    severity TEXT NOT NULL,
                    "limit" REAL,
                    limit_text TEXT,
                    latch INTEGER NOT NULL DEFAULT 0,
                    on_delay INTEGER NOT NULL DEFAULT 0,
                    off_delay INTEGER NOT NULL DEFAULT 0,
                    out_of_service INTEGER NOT NULL DEFAULT 0,
                    condition INTEGER NOT NULL DEFAULT 0,
                    condition_since INTEGER NOT NULL DEFAULT 0,
                    active INTEGER NOT NULL DEFAULT 0,
                    acked INTEGER NOT NULL DEFAULT 1,
                    latched_clear INTEGER NOT NULL DEFAULT 0,
                    shelved INTEGER NOT NULL DEFAULT 0,
                    shelved_until INTEGER,
                    shelve_reason TEXT,
                    suppressed INTEGER NOT NULL DEFAULT 0,
                    notified INTEGER NOT NULL DEFAULT 0,
                    episode TEXT,
                    episode_activated INTEGER NOT NULL DEFAULT 0,
                    active_since INTEGER,
                    seq INTEGER NOT NULL DEFAULT 0,
                    chattering INTEGER NOT NULL DEFAULT 0,
                    -- Recent activation times (µs), comma-separated: chattering survives a restart.
                    activations TEXT NOT NULL DEFAULT '',
                    value REAL,
                    status TEXT,
                    -- The state operators see (AlarmState), for readers of the file.
                    state TEXT NOT NULL,
                    updated INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX alarm_state_episode ON alarm_state (episode);
                -- Every transition, for `kiln alarms history`.
                CREATE TABLE alarm_history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    time INTEGER NOT NULL,
                    alarm TEXT NOT NULL,
                    device TEXT,
                    tag TEXT,
                    episode TEXT NOT NULL,
                    transition TEXT NOT NULL,
                    state TEXT NOT NULL,
                    -- The AlarmEvent as JSON (its id is the webhook-id).
                    event BLOB NOT NULL,
                    -- 0: written by a command that had no hooks to queue it for (`--db` with no engine
                    -- running); the engine queues it to the outbox when it starts.
                    queued INTEGER NOT NULL DEFAULT 1
                );
                CREATE INDEX alarm_history_time ON alarm_history (time);
                CREATE INDEX alarm_history_unqueued ON alarm_history (queued) WHERE queued = 0;
                -- Operators' commands for a running engine (`kiln alarms ack` and friends).
                CREATE TABLE alarm_commands (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    created INTEGER NOT NULL,
                    action TEXT NOT NULL,
                    target TEXT NOT NULL,
                    note TEXT,
                    -- A timed shelve's length, µs.
                    duration INTEGER,
                    by TEXT NOT NULL,
                    -- NULL while pending; then when it was applied or refused (µs).
                    done INTEGER,
                    ok INTEGER,
                    result TEXT
                );
                CREATE INDEX alarm_commands_pending ON alarm_commands (done) WHERE done IS NULL;
                -- The running engine: it updates the heartbeat every second.
                CREATE TABLE alarm_engine (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    pid INTEGER NOT NULL,
                    started INTEGER NOT NULL,
                    heartbeat INTEGER NOT NULL
                );
                """)
    ]

    /// The migrator of the alarm tables and the hooks' outbox (the engine and the CLI apply both).
    public static func migrator() throws(MigrationError) -> Migrator {
        try Migrator([migrations, OutboxSchema.migrations])
    }
}
