import KilnCore
import KilnSQLite

/// Writes events into the outbox of every hook whose filter admits them, on the caller's
/// connection and inside the caller's transaction (the one that writes the state change).
public final class OutboxWriter: @unchecked Sendable {
    // @unchecked: used only on the thread that owns `connection`, like the connection itself.
    private let insert: Statement
    private let hooks: [HookConfig]

    /// - Parameters:
    ///   - connection: a connection whose file has the outbox migrations applied.
    ///   - hooks: the gateway's hooks.
    public init(connection: Connection, hooks: [HookConfig]) throws(SQLiteError) {
        insert = try connection.prepare(
            """
            INSERT OR IGNORE INTO hook_outbox (hook, event, episode, created, body, next_attempt)
            VALUES (?1, ?2, ?3, ?4, ?5, ?4)
            """)
        self.hooks = hooks
    }

    /// Queues `event` for every hook that admits it (or only for `hook`, when given: a test event).
    ///
    /// - Returns: how many outbox rows were written.
    @discardableResult
    public func enqueue(_ event: AlarmEvent, onlyHook hook: String? = nil) throws(SQLiteError) -> Int {
        var body: [UInt8]?
        var written = 0
        for config in hooks {
            if let hook, config.name != hook { continue }
            guard
                config.filter.admits(
                    severity: event.severity, device: event.device, tag: event.tag, transition: event.transition)
            else { continue }
            let bytes = body ?? event.json()
            body = bytes
            insert.bind(1, config.name)
            insert.bind(2, event.id)
            insert.bind(3, event.episode)
            insert.bind(4, event.time)
            insert.bind(5, bytes)
            try insert.run()
            written += 1
        }
        return written
    }
}
