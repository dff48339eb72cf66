import KilnSQLite

/// The hooks' outbox: one row per event and hook, written in the same transaction as the alarm
/// state change it reports, deleted never by the engine, finished by the hook's sender.
public enum OutboxSchema {
    /// The module name in `kiln_migrations`.
    public static let module = "outbox"

    /// Append-only: a released step is never edited.
    public static let migrations: [Migration] = [
        Migration(
            module: module, version: 1,
            sql: """
                CREATE TABLE hook_outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    -- The hook's name in the gateway config.
                    hook TEXT NOT NULL,
                    -- AlarmEvent.id: the webhook-id, stable across redeliveries.
                    event TEXT NOT NULL,
                    -- The episode: a hook delivers one episode's events in id order.
                    episode TEXT NOT NULL,
                    -- Microseconds since the Unix epoch, UTC.
                    created INTEGER NOT NULL,
                    -- The AlarmEvent as JSON.
                    body BLOB NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    -- Not before this time (µs); back-off and Retry-After move it.
                    next_attempt INTEGER NOT NULL,
                    last_error TEXT,
                    -- pending, delivered, or dead (undelivered past the hook's max_age, or its hook gone).
                    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
                    -- When it was delivered or declared dead (µs).
                    finished INTEGER,
                    UNIQUE (hook, event)
                );
                CREATE INDEX hook_outbox_pending ON hook_outbox (hook, state, id);
                """)
    ]
}
