import KilnAlarms
import KilnSQLite

/// The hooks' own tables beside the outbox: each hook's state (disabled by 410 Gone, last error,
/// last success) and the alerts an Alertmanager hook keeps firing (re-sent after a restart).
public enum HookSchema {
    /// The module name in `kiln_migrations`.
    public static let module = "hooks"

    /// Append-only: a released step is never edited.
    public static let migrations: [Migration] = [
        Migration(
            module: module, version: 1,
            sql: """
                CREATE TABLE hook_state (
                    hook TEXT PRIMARY KEY,
                    -- 1 after the receiver answered 410 Gone; `kiln hooks enable NAME` clears it.
                    disabled INTEGER NOT NULL DEFAULT 0,
                    disabled_reason TEXT,
                    last_error TEXT,
                    -- Microseconds since the Unix epoch, UTC.
                    last_error_at INTEGER,
                    last_success INTEGER
                );
                CREATE TABLE hook_alertmanager_firing (
                    hook TEXT NOT NULL,
                    episode TEXT NOT NULL,
                    -- The alert as Alertmanager's API v2 takes it, without endsAt (set at each send).
                    alert BLOB NOT NULL,
                    PRIMARY KEY (hook, episode)
                );
                """)
    ]

    /// Every migration list the hooks' connection needs: the outbox's and the hooks' own.
    public static let lists: [[Migration]] = [OutboxSchema.migrations, migrations]
}
