import KilnCore
import KilnSQLite

extension AlarmStore {
    /// Applies an operator's command to the file itself, with the engine's state machine, in one
    /// immediate transaction (no engine is running): the record, its events' history and, when
    /// the hooks are known, their outbox rows.
    public func applyDirect(_ command: AlarmCommand, settings: AlarmSettings, now: Int64) throws -> [AlarmEvent] {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let records = try load()
            guard
                let i = records.firstIndex(where: { $0.path == command.target })
                    ?? records.firstIndex(where: { $0.episode == command.target })
            else { throw AlarmCommandError.unknown(command.target, among: records) }
            var r = records[i]
            var events: [AlarmEvent] = []
            try r.apply(
                command, settings: settings, context: TransitionContext(now: now, by: command.by, note: command.note),
                events: &events)
            _ = try commitLocked(changed: [r], events: events)
            try connection.execute("COMMIT")
            return events
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
