import KilnAlarms
import KilnCore
import KilnSQLite

#if canImport(Glibc)
    import Glibc
#endif

/// `kiln hooks test NAME`: queues a test event for one hook and sees it delivered.
public enum HookTestRun {
    /// What became of the test event.
    public struct Result: Sendable {
        public var event: String
        /// true: a running gateway delivered it; false: this call delivered it.
        public var byGateway: Bool
        /// The receiver's answer (this call's delivery only).
        public var answer: String?
    }

    /// The hook named `name`, or an error naming the close matches.
    public static func hook(named name: String, in hooks: [HookConfig]) throws(HookError) -> HookConfig {
        if let hook = hooks.first(where: { $0.name == name }) { return hook }
        guard !hooks.isEmpty else { throw HookError("unknown hook '\(name)': the config has no hooks") }
        let near = hooks.map(\.name).filter { distance($0, name) <= max(2, name.count / 3) }
        let hint =
            near.isEmpty
            ? "the hooks are: " + hooks.map(\.name).joined(separator: ", ")
            : "did you mean " + near.map { "'\($0)'" }.joined(separator: " or ") + "?"
        throw HookError("unknown hook '\(name)'; \(hint)")
    }

    /// Queues a signed test event for `name` only; waits up to `wait` for a running gateway to
    /// deliver it, else delivers it itself.
    ///
    /// - Throws: `HookError` for an unknown hook, an unreadable secret, or a failed delivery.
    public static func run(
        name: String, hooks: [HookConfig], databasePath: String, wait: Duration,
        environment: [String: String] = SecretReader.currentEnvironment(),
        now: @Sendable () -> Int64 = { WallClock.epochMicroseconds() }
    ) async throws(HookError) -> Result {
        let hook = try hook(named: name, in: hooks)
        let transport = try HookSenders.make(hook, environment: environment)
        let time = now()
        let user = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid\(getuid())"
        let event = AlarmEvent(
            id: "evt_test-\(name)-\(time)_1", transition: .test, episode: "test-\(name)-\(time)", alarm: "kiln/test",
            name: "test", kind: .system, device: nil, tag: nil, severity: .info, state: .normal,
            message: "Kiln test event for hook \(name)", time: time, by: "cli:\(user)")
        do {
            let store = try OutboxStore(path: databasePath)
            try OutboxWriter(connection: store.connection, hooks: hooks).enqueue(event, onlyHook: name)
            let find = try store.connection.prepare(
                "SELECT id, state, attempts, last_error FROM hook_outbox WHERE hook = ?1 AND event = ?2")
            find.bind(1, name)
            find.bind(2, event.id)
            let deadline = now() + wait.micros
            while true {
                find.reset()
                guard try find.step() else { throw HookError("the test event vanished from the outbox") }
                let (state, attempts, error) = (find.string(1), find.int64(2), find.string(3))
                find.reset()
                if state == "delivered" { return Result(event: event.id, byGateway: true, answer: nil) }
                if now() >= deadline {
                    if attempts > 0 {
                        throw HookError("the running gateway could not deliver it yet: \(error ?? "unknown error")")
                    }
                    break
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
            // No gateway took it: deliver it here.
            guard let row = try store.pending(hook: name, limit: 100_000).first(where: { $0.event == event.id }) else {
                return Result(event: event.id, byGateway: true, answer: nil)
            }
            let attempt = now()
            switch await transport.deliver(row, now: attempt) {
            case .delivered(let answer):
                try store.markDelivered([row.id], hook: name, at: now())
                return Result(event: event.id, byGateway: false, answer: answer)
            case .retry(let error, _), .gone(let error):
                // Not retried by this command: the row stays pending for the gateway.
                try store.markFailed(
                    row.id, hook: name, error: error, nextAttempt: now() + 1_000_000, at: now())
                throw HookError("delivery failed: \(error)")
            }
        } catch let error as SQLiteError {
            throw HookError("the database \(databasePath): \(error)")
        } catch let error as HookError {
            throw error
        } catch {
            throw HookError("\(error)")
        }
    }

    /// Levenshtein distance, for "did you mean".
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where j <= b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
