import CoreMetrics
import KilnAlarms
import KilnCore
import KilnSQLite
import Logging
import Synchronization

/// One hook's sender loop (see ``HookDeliveryService``).
final class HookWorker: Sendable {
    let hook: HookConfig
    let others: [HookConfig]
    let transport: any HookTransport
    let databasePath: String
    let doorbell: OutboxDoorbell
    let logger: Logger
    let metrics: HookMetrics
    let settings: DeliverySettings
    let now: @Sendable () -> Int64
    /// The transport when it keeps and re-sends firing alerts (Alertmanager).
    let resending: (any HookResending)?
    /// Raises (reason) or clears (nil) the gateway's alarm for this hook being disabled; nil: the
    /// 410's event goes straight to the other hooks' outboxes instead.
    let systemAlarm: HookDeliveryService.SystemAlarm?
    /// Whether the last pass found the hook disabled (nil before the first pass).
    private let disabledSeen = Mutex<Bool?>(nil)

    init(
        hook: HookConfig, others: [HookConfig], transport: any HookTransport, databasePath: String,
        doorbell: OutboxDoorbell, logger: Logger, metrics: HookMetrics, settings: DeliverySettings,
        now: @escaping @Sendable () -> Int64, systemAlarm: HookDeliveryService.SystemAlarm? = nil
    ) {
        self.systemAlarm = systemAlarm
        self.hook = hook
        self.others = others
        self.transport = transport
        self.databasePath = databasePath
        self.doorbell = doorbell
        var logger = logger
        logger[metadataKey: "kiln.hook"] = "\(hook.name)"
        self.logger = logger
        self.metrics = metrics
        self.settings = settings
        self.now = now
        self.resending = transport as? any HookResending
    }

    func run() async {
        var store: OutboxStore?
        var lastResend: Int64 = 0
        var lastMaintenance: Int64 = 0
        while !Task.isCancelled {
            let seen = doorbell.generation
            do {
                let open = try store ?? OutboxStore(path: databasePath)
                store = open
                let wait = try await step(open, lastResend: &lastResend, lastMaintenance: &lastMaintenance)
                if let wait { await doorbell.wait(after: seen, timeout: wait) }
            } catch {
                logger.error("hook delivery failed on its database", metadata: ["kiln.error": "\(error)"])
                store = nil
                await doorbell.wait(after: seen, timeout: .seconds(1))
                continue
            }
        }
    }

    /// One pass: maintenance, re-sends, and a batch of deliveries. Returns how long to wait for
    /// a ring before the next pass (nil: go again at once).
    private func step(_ store: OutboxStore, lastResend: inout Int64, lastMaintenance: inout Int64) async throws
        -> Duration?
    {
        let start = now()
        if start - lastMaintenance >= 1_000_000 {
            lastMaintenance = start
            try maintain(store, now: start)
        }
        let disabled = try store.isDisabled(hook.name)
        let before = disabledSeen.withLock { seen in
            defer { seen = disabled }
            return seen
        }
        if let systemAlarm, before != disabled, disabled || before == true {
            // Found disabled at start (the alarm may predate this run), or re-enabled since
            // (`kiln hooks enable`): the gateway's alarm follows.
            await systemAlarm(
                hook.name, disabled ? "hook \(hook.name) is disabled (its receiver answered 410 Gone)" : nil)
        }
        if disabled {
            metrics.disabled.record(1)
            return settings.idlePoll
        }
        metrics.disabled.record(0)
        var idle = settings.idlePoll
        if let resending {
            let interval = resending.resendInterval.micros
            if start - lastResend >= interval {
                lastResend = start
                if let outcome = try await resending.resend(store: store, now: start),
                    case .retry(let error, _) = outcome
                {
                    logger.warning("re-sending firing alerts failed", metadata: ["kiln.error": "\(error)"])
                }
            }
            idle = min(idle, .microseconds(max(1000, lastResend + interval - now())))
        }
        let rows = try store.pending(hook: hook.name, limit: settings.batch)
        if rows.isEmpty { return idle }
        var done: [Int64] = []
        defer { if !done.isEmpty { try? store.markDelivered(done, hook: hook.name, at: now()) } }
        for row in rows {
            if Task.isCancelled { return nil }
            let time = now()
            if row.nextAttempt > time {
                return .microseconds(row.nextAttempt - time)
            }
            if time - row.created > hook.maxAge.micros {
                try maintain(store, now: time)
                return nil
            }
            let outcome = await transport.deliver(row, now: time)
            switch outcome {
            case .delivered:
                let finished = now()
                done.append(row.id)
                metrics.attemptOK.increment()
                metrics.delivered.increment()
                metrics.latency.recordMicroseconds(max(0, finished - row.created))
                if let resending { try resending.delivered(row, store: store) }
            case .retry(let error, let retryAfter):
                if Task.isCancelled { return nil }
                metrics.attemptError.increment()
                try flush(&done, store)
                let delay =
                    retryAfter.map { min($0, settings.retryAfterCap) }
                    ?? settings.backoff(afterFailures: row.attempts + 1)
                try store.markFailed(
                    row.id, hook: hook.name, error: error, nextAttempt: now() + delay.micros, at: now())
                logger.warning(
                    "hook delivery failed; retrying",
                    metadata: [
                        "kiln.event": "\(row.event)", "kiln.attempts": "\(row.attempts + 1)", "kiln.error": "\(error)",
                        "kiln.retry_in": "\(delay)",
                    ])
                return delay
            case .gone(let error):
                metrics.attemptGone.increment()
                try flush(&done, store)
                try await disable(store, row: row, error: error)
                return settings.idlePoll
            }
        }
        try flush(&done, store)
        return nil
    }

    private func flush(_ done: inout [Int64], _ store: OutboxStore) throws {
        guard !done.isEmpty else { return }
        try store.markDelivered(done, hook: hook.name, at: now())
        done.removeAll()
    }

    /// Dead letters past max_age, pruning, and the gauges.
    private func maintain(_ store: OutboxStore, now time: Int64) throws {
        let expired = try store.expire(hook: hook.name, createdBefore: time - hook.maxAge.micros, at: time)
        if expired > 0 {
            metrics.dead.increment(by: Int64(expired))
            logger.error("hook events expired undelivered (dead letters)", metadata: ["kiln.count": "\(expired)"])
        }
        try store.prune(hook: hook.name, deliveredBefore: time - settings.keepDelivered.micros)
        let counts = try store.counts(hook: hook.name)
        metrics.queueDepth.record(counts.pending)
        metrics.deadLetters.record(counts.dead)
    }

    /// 410 Gone: disable the hook (persisted), log it, and raise a system alarm to the other hooks.
    private func disable(_ store: OutboxStore, row: OutboxRow, error: String) async throws {
        let time = now()
        let raisedByEngine = systemAlarm != nil
        try store.transaction { () throws(SQLiteError) in
            try store.setDisabled(hook.name, true, reason: error)
            try store.markFailed(row.id, hook: hook.name, error: error, nextAttempt: time, at: time)
            guard !raisedByEngine else { return }
            let episode = "kiln-hook-\(hook.name)-\(time)"
            let event = AlarmEvent(
                id: "evt_\(episode)_1", transition: .activated, episode: episode, alarm: "kiln/hook/\(hook.name)",
                name: "hook", kind: .system, device: nil, tag: nil, severity: .major, state: .activeUnacknowledged,
                message: "hook \(hook.name) disabled: its receiver answered 410 Gone", time: time)
            try OutboxWriter(connection: store.connection, hooks: others).enqueue(event)
        }
        metrics.disabled.record(1)
        logger.error(
            "hook disabled: its receiver answered 410 Gone; `kiln hooks enable` turns it back on",
            metadata: ["kiln.error": "\(error)"])
        if let systemAlarm {
            disabledSeen.withLock { $0 = true }
            await systemAlarm(hook.name, "hook \(hook.name) disabled: its receiver answered 410 Gone")
        }
        doorbell.ring()
    }
}

extension CoreMetrics.Timer {
    func recordMicroseconds(_ micros: Int64) { recordNanoseconds(micros * 1000) }
}
