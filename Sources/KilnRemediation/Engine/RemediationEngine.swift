import KilnAlarms
import KilnCore
import KilnSQLite
import Logging

/// The remediation engine's decisions: when a rule's condition has persisted it queues a run,
/// and it starts, ends, retries, verifies and cancels runs, each step committed to the durable
/// queue with its audit entry before anything happens on a host.
///
/// Not `Sendable`: it lives in the service's loop task and is used only there. The service hands
/// it alarm events, verify samples and transport results, calls ``step(now:samples:stopping:)``
/// and spawns the runs it returns; it sleeps until the deadline the step returns.
final class RemediationEngine {
    static let hour: Int64 = 3_600_000_000
    static let breakerKey = "breaker_opened_at"
    static let breakerAlarm = "remediation/breaker"
    static let hostKeyAlarm = "remediation/host-key/"

    let config: RemediationConfig
    let store: RunStore
    let runner: AlarmRunner
    let metrics: RemediationMetrics
    let logger: Logger
    let rules: [String: RemediationRule]
    let hosts: [String: RemediationHost]
    var alarms: AlarmConditions
    /// Transport results not yet committed (kept across a failed commit).
    var finished: [(id: Int64, result: RemoteRunResult)] = []
    /// The episode of each rule whose run is known to exist (spares a query per wake-up).
    private var queuedEpisode: [String: String] = [:]
    private var breakerOpenedAt: Int64?
    private var hostKeyAlarms: Set<String> = []

    /// What the loop does next.
    struct Plan {
        /// Runs committed `running`: hand each to the transport in its own task.
        var starts: [RemoteRun] = []
        /// The next instant something is due (µs), if any.
        var deadline: Int64?
        /// `device/tag` of the verify tags being watched.
        var watched: Set<String> = []

        mutating func due(_ t: Int64) { deadline = min(deadline ?? t, t) }
    }

    init(
        config: RemediationConfig, store: RunStore, runner: AlarmRunner, metrics: RemediationMetrics, logger: Logger
    ) {
        self.config = config
        self.store = store
        self.runner = runner
        self.metrics = metrics
        self.logger = logger
        rules = Dictionary(config.rules.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        hosts = Dictionary(config.hosts.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        alarms = AlarmConditions(paths: Set(config.rules.map(\.trigger.alarm)))
    }

    // MARK: Start

    /// Resumes after a start: runs found `running` were cut short (interrupted, retried only when
    /// their rule says so), the breaker's state is read back, and the gateway's own alarms
    /// remediation raised are taken over.
    func recover(now: Int64, records: [AlarmRecord]) async throws {
        alarms.reconcile(records)
        for r in records where r.path.hasPrefix("kiln/" + Self.hostKeyAlarm) && r.active {
            hostKeyAlarms.insert(String(r.path.dropFirst(("kiln/" + Self.hostKeyAlarm).count)))
        }
        breakerOpenedAt = try store.state(Self.breakerKey)
        metrics.breaker(open: breakerOpenedAt != nil)
        if let opened = breakerOpenedAt, now < opened + Self.hour {
            await runner.setSystemAlarm(
                Self.breakerAlarm, active: true, severity: .critical, reason: breakerReason(opened: opened))
        }
        for row in try store.open() where row.state == .running {
            let rule = rules[row.rule]
            let retry = rule.flatMap { rule in
                rule.retryInterrupted ? retryRow(after: row, rule: rule, ended: now) : nil
            }
            try commit {
                try store.finish(
                    id: row.id, state: .done, outcome: .interrupted, ended: now, detail: "Kiln stopped while it ran")
                if let retry { _ = try store.insert(retry) }
                return [
                    entry(row, now: now, outcome: .interrupted, detail: "Kiln stopped while it ran")
                ]
            }
            metrics.count(.interrupted)
        }
    }

    // MARK: Each wake-up

    /// Commits what happened since the last step and decides what is due at `now`.
    func step(now: Int64, samples: [VerifySample], stopping: Bool) async throws -> Plan {
        var plan = Plan()
        try await endRuns(now: now)
        var open = try store.open()
        if try await verify(open, now: now, samples: samples, plan: &plan) { open = try store.open() }
        if try cancel(open, now: now) { open = try store.open() }
        if try queue(now: now, plan: &plan) { open = try store.open() }
        try await breaker(now: now, plan: &plan)
        if !stopping {
            if try await start(open, now: now, plan: &plan) { open = try store.open() }
        }
        metrics.queue(open)
        return plan
    }

    /// Ends the runs the transport reported: done with their outcome (or verifying), a retry
    /// queued when allowed, one audit entry each; the host key alarm raised or cleared.
    private func endRuns(now: Int64) async throws {
        while let (id, result) = finished.first {
            guard let row = try store.row(id: id) else {
                finished.removeFirst()
                continue
            }
            let rule = rules[row.rule]
            let verify = result.outcome == .succeeded ? rule?.verify : nil
            let retry: RunRow? =
                if let rule, result.outcome.isRetryable { retryRow(after: row, rule: rule, ended: result.ended) } else {
                    nil
                }
            try commit {
                try store.finish(
                    id: id, state: verify == nil ? .done : .verifying, outcome: result.outcome, ended: result.ended,
                    exitCode: result.exitCode, verifyUntil: verify.map { result.ended + $0.within.wholeMicroseconds },
                    detail: result.detail)
                if let retry { _ = try store.insert(retry) }
                return [
                    AuditEntry(
                        time: now, run: id, rule: row.rule, episode: row.episode, host: row.host,
                        fingerprint: result.fingerprint, argv: row.argv, started: result.started, ended: result.ended,
                        exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr,
                        outcome: result.outcome, by: "kiln", detail: result.detail)
                ]
            }
            finished.removeFirst()
            metrics.count(result.outcome)
            if result.outcome == .refusedHostKey {
                hostKeyAlarms.insert(row.host)
                await runner.setSystemAlarm(
                    Self.hostKeyAlarm + row.host, active: true, severity: .major,
                    reason:
                        "host \(row.host) offered a key that is not pinned: \(result.fingerprint ?? "no fingerprint seen")"
                )
            } else if result.fingerprint != nil || result.outcome == .succeeded, hostKeyAlarms.remove(row.host) != nil {
                await runner.setSystemAlarm(Self.hostKeyAlarm + row.host, active: false)
            }
        }
    }

    /// The next attempt after `row` ended at `ended`, when its rule allows one and the episode is
    /// still active: due after the back-off (`retry_delay` doubled per attempt; no cooldown).
    private func retryRow(after row: RunRow, rule: RemediationRule, ended: Int64) -> RunRow? {
        guard row.attempt < rule.maxAttempts, alarms.isActive(row.alarm, episode: row.episode) else { return nil }
        let shift = min(row.attempt - 1, 30)
        let (delay, overflow) = rule.retryDelay.wholeMicroseconds.multipliedReportingOverflow(by: 1 << shift)
        let due = overflow ? Int64.max / 2 : ended + delay
        return RunRow(
            id: 0, rule: row.rule, host: row.host, alarm: row.alarm, episode: row.episode, attempt: row.attempt + 1,
            state: config.mode == .approve ? .awaitingApproval : .queued, mode: config.mode, argv: row.argv,
            created: ended, persistedAt: row.persistedAt, due: due)
    }

    /// Verifying runs: the first Good sample after the run's end, before its `verify_until`, on
    /// the right side of the limit verifies it; none by then makes it ineffective (escalated).
    private func verify(_ open: [RunRow], now: Int64, samples: [VerifySample], plan: inout Plan) async throws -> Bool {
        var changed = false
        for row in open where row.state == .verifying {
            guard let rule = rules[row.rule], let v = rule.verify, let until = row.verifyUntil else {
                // A rule gone from the config cannot be verified: it cannot be shown to have worked.
                try end(row, now: now, outcome: .ineffective, detail: "its rule no longer has a verify condition")
                changed = true
                continue
            }
            let tag = "\(v.device)/\(v.tag)"
            let after = row.ended ?? row.started ?? 0
            if let s = samples.first(where: {
                $0.tag == tag && $0.good && $0.timestamp > after && $0.timestamp <= until
                    && $0.value.map(v.condition.holds) == true
            }) {
                try end(
                    row, now: now, outcome: .verified,
                    detail: "\(tag) read \(Value.format(s.value ?? .nan)) at \(Timestamp.rfc3339(micros: s.timestamp))")
                changed = true
            } else if now >= until {
                let detail =
                    "\(tag) did not read \(text(v.condition)) within \(DurationText.format(v.within)) of the run's end"
                try end(row, now: now, outcome: .ineffective, detail: detail)
                changed = true
                let known = await runner.escalate(
                    alarm: row.alarm, episode: row.episode,
                    message: "remediation \(row.rule) (run \(row.id)) was ineffective: \(detail)")
                if !known {
                    logger.warning(
                        "cannot escalate an ineffective run: its alarm is no longer configured",
                        metadata: ["kiln.alarm": "\(row.alarm)", "kiln.run": "\(row.id)"])
                }
            } else {
                plan.watched.insert(tag)
                plan.due(until)
            }
        }
        return changed
    }

    private func text(_ c: RemediationVerify.Condition) -> String {
        switch c {
        case .below(let limit): "below \(Value.format(limit))"
        case .above(let limit): "above \(Value.format(limit))"
        }
    }

    /// Waiting runs whose alarm is no longer active in their episode, or whose rule or host is
    /// gone from the config: done, cancelled.
    private func cancel(_ open: [RunRow], now: Int64) throws -> Bool {
        var changed = false
        for row in open where row.state == .queued || row.state == .awaitingApproval {
            let why: String
            if rules[row.rule] == nil {
                why = "rule \(row.rule) is no longer in the config"
            } else if hosts[row.host] == nil {
                why = "host \(row.host) is no longer in the config"
            } else if !alarms.isActive(row.alarm, episode: row.episode) {
                why = "alarm \(row.alarm) is no longer active in episode \(row.episode)"
            } else {
                continue
            }
            try end(row, now: now, outcome: .cancelled, detail: why)
            changed = true
        }
        return changed
    }

    /// Ends a waiting or verifying run with `outcome` and its audit entry.
    private func end(_ row: RunRow, now: Int64, outcome: RemediationOutcome, detail: String) throws {
        try commit {
            try store.finish(
                id: row.id, state: .done, outcome: outcome, ended: row.state == .verifying ? row.ended ?? now : now,
                exitCode: row.exitCode, detail: detail)
            return [entry(row, now: now, outcome: outcome, detail: detail)]
        }
        metrics.count(outcome)
    }

    /// Rules whose alarm has been active for `persists` in an episode without a run: a run is
    /// queued (or awaits approval), its argv rendered now, due after the rule's cooldown.
    private func queue(now: Int64, plan: inout Plan) throws -> Bool {
        var changed = false
        for rule in config.rules {
            guard let c = alarms[rule.trigger.alarm], c.active, let episode = c.episode, let since = c.activeSince,
                queuedEpisode[rule.name] != episode
            else { continue }
            let persisted = since + rule.trigger.persists.wholeMicroseconds
            if now < persisted {
                plan.due(persisted)
                continue
            }
            if try store.hasRun(rule: rule.name, episode: episode) {
                queuedEpisode[rule.name] = episode
                continue
            }
            guard hosts[rule.host] != nil else { continue }
            var row = RunRow(
                id: 0, rule: rule.name, host: rule.host, alarm: rule.trigger.alarm, episode: episode, attempt: 1,
                state: config.mode == .approve ? .awaitingApproval : .queued, mode: config.mode, argv: [],
                created: now, persistedAt: persisted, due: persisted)
            var values = ["alarm": rule.trigger.alarm, "episode": episode]
            values["device"] = c.device
            values["tag"] = c.tag
            values["value"] = c.value.map(Value.format)
            do {
                row.argv = try CommandTemplate.render(rule.command, values: values)
            } catch {
                // Nothing can run: recorded as failed, once for the episode.
                row.argv = rule.command
                row.state = .done
                row.outcome = .failed
                row.ended = now
                row.detail = "cannot render the command: \(error.description)"
                try commit {
                    guard let id = try store.insert(row) else { return [] }
                    row.id = id
                    return [entry(row, now: now, outcome: .failed, detail: row.detail)]
                }
                metrics.count(.failed)
                queuedEpisode[rule.name] = episode
                changed = true
                continue
            }
            if let last = try store.lastStart(rule: rule.name, host: rule.host) {
                row.due = max(persisted, last + rule.cooldown.wholeMicroseconds)
            }
            try commit {
                _ = try store.insert(row)
                return []
            }
            logger.info(
                "remediation run queued",
                metadata: [
                    "kiln.rule": "\(rule.name)", "kiln.episode": "\(episode)", "kiln.state": "\(row.state.rawValue)",
                ])
            queuedEpisode[rule.name] = episode
            changed = true
        }
        return changed
    }

    // MARK: Breaker

    private func breakerReason(opened: Int64) -> String {
        "more than \(config.maxPerHour) remediation runs within an hour: every run is held until "
            + Timestamp.rfc3339(micros: opened + Self.hour)
    }

    /// Closes the breaker an hour after it opened.
    private func breaker(now: Int64, plan: inout Plan) async throws {
        guard let opened = breakerOpenedAt else { return }
        let closes = opened + Self.hour
        guard now >= closes else {
            plan.due(closes)
            return
        }
        try await setBreaker(
            opened: nil, now: now, detail: "opened at \(Timestamp.rfc3339(micros: opened)); runs may start again")
    }

    private func openBreaker(now: Int64, started: Int) async throws {
        try await setBreaker(
            opened: now, now: now,
            detail: "\(started) runs started within the last hour (max_per_hour \(config.maxPerHour))")
    }

    /// Opens (`opened` = now) or closes (nil) the breaker: its state in the file with its audit
    /// entry, the metric, and the gateway's alarm `kiln/remediation/breaker`.
    private func setBreaker(opened: Int64?, now: Int64, detail: String) async throws {
        try commit {
            try store.setState(Self.breakerKey, opened)
            return [
                AuditEntry(
                    time: now, rule: "*", outcome: opened == nil ? .breakerClosed : .breakerOpened, by: "kiln",
                    detail: detail)
            ]
        }
        breakerOpenedAt = opened
        metrics.breaker(open: opened != nil)
        await runner.setSystemAlarm(
            Self.breakerAlarm, active: opened != nil, severity: .critical,
            reason: opened.map { breakerReason(opened: $0) })
    }

    // MARK: Starting

    /// Queued runs that are due start when their host has a free slot, their rule's cooldown
    /// allows (across episodes) and the breaker is closed: committed `running` first.
    private func start(_ open: [RunRow], now: Int64, plan: inout Plan) async throws -> Bool {
        var changed = false
        var busy: [String: Int] = [:]
        for row in open where row.state == .running { busy[row.host, default: 0] += 1 }
        for row in open.filter({ $0.state == .queued }).sorted(by: { ($0.due, $0.id) < ($1.due, $1.id) }) {
            guard let rule = rules[row.rule], let host = hosts[row.host] else { continue }
            if row.due > now {
                plan.due(row.due)
                continue
            }
            // A free slot wakes the loop when a run ends.
            guard busy[row.host, default: 0] < max(1, host.maxConcurrent) else { continue }
            if let last = try store.lastStart(rule: row.rule, host: row.host, excluding: row.episode),
                last + rule.cooldown.wholeMicroseconds > now
            {
                let until = last + rule.cooldown.wholeMicroseconds
                try store.hold(id: row.id, due: until, detail: "cooldown until \(Timestamp.rfc3339(micros: until))")
                plan.due(until)
                changed = true
                continue
            }
            if let opened = breakerOpenedAt {
                let held = "held by the breaker until \(Timestamp.rfc3339(micros: opened + Self.hour))"
                if row.detail != held {
                    try store.hold(id: row.id, due: row.due, detail: held)
                    changed = true
                }
                continue
            }
            let started = try store.startedCount(since: now - Self.hour)
            if started >= config.maxPerHour {
                try await openBreaker(now: now, started: started)
                try store.hold(
                    id: row.id, due: row.due,
                    detail: "held by the breaker until \(Timestamp.rfc3339(micros: now + Self.hour))")
                plan.due(now + Self.hour)
                changed = true
                continue
            }
            changed = true
            if row.mode == .dryRun {
                try commit {
                    guard try store.markRunning(id: row.id, started: now) else { return [] }
                    try store.finish(
                        id: row.id, state: .done, outcome: .dryRun, ended: now, detail: "dry-run: nothing was run")
                    return [
                        AuditEntry(
                            time: now, run: row.id, rule: row.rule, episode: row.episode, host: row.host,
                            argv: row.argv, started: now, ended: now, outcome: .dryRun, by: "kiln",
                            detail: "dry-run: the command that enforce would run; nothing was run")
                    ]
                }
                metrics.count(.dryRun)
                continue
            }
            var marked = false
            try commit {
                marked = try store.markRunning(id: row.id, started: now)
                return []
            }
            guard marked else { continue }
            busy[row.host, default: 0] += 1
            logger.info(
                "remediation run started",
                metadata: ["kiln.rule": "\(row.rule)", "kiln.run": "\(row.id)", "kiln.host": "\(row.host)"])
            plan.starts.append(RemoteRun(id: row.id, host: host, argv: row.argv, timeout: rule.timeout))
        }
        return changed
    }

    // MARK: Writing

    /// An audit entry about `row` by the gateway.
    private func entry(_ row: RunRow, now: Int64, outcome: RemediationOutcome, detail: String?) -> AuditEntry {
        AuditEntry(
            time: now, run: row.id, rule: row.rule, episode: row.episode, host: row.host, argv: row.argv,
            started: row.started, ended: row.ended ?? now, exitCode: row.exitCode, outcome: outcome, by: "kiln",
            detail: detail)
    }

    /// One immediate transaction; each audit entry written is logged with its hash (a copy of
    /// the chain outside the file).
    private func commit(_ body: () throws -> [AuditEntry]) throws {
        for e in try store.transaction(body) {
            var metadata: Logger.Metadata = [
                "kiln.audit.seq": "\(e.seq)", "kiln.audit.hash": "\(e.hash)", "kiln.outcome": "\(e.outcome.rawValue)",
                "kiln.rule": "\(e.rule)",
            ]
            if let run = e.run { metadata["kiln.run"] = "\(run)" }
            if let host = e.host { metadata["kiln.host"] = "\(host)" }
            if let detail = e.detail { metadata["kiln.detail"] = "\(detail)" }
            logger.info("remediation audit entry", metadata: metadata)
        }
    }
}
