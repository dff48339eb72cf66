import CoreMetrics
import KilnCore
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The alarm engine at work: its own thread takes conditioned batches from a bounded queue,
/// judges them, and commits every state change with its history and outbox rows in one
/// transaction per wake-up, then rings ``doorbell``. Between samples it ticks (delays, shelve
/// expiry), takes operators' commands from the file and from ``perform(_:)``, and beats its
/// heartbeat so `kiln alarms` knows an engine is running.
///
/// Without a historian file the engine runs in memory (logged once).
public final class AlarmRunner: Sendable {
    public struct Options: Sendable {
        /// How often timers and the file's command table are looked at.
        public var tick: Duration
        public var queueCapacity: Int

        public init(tick: Duration = .milliseconds(100), queueCapacity: Int = 100_000) {
            self.tick = tick
            self.queueCapacity = queueCapacity
        }
    }

    /// Rung after each commit that wrote outbox rows; hand it to the hooks' senders.
    public let doorbell = OutboxDoorbell()
    public let queue: SampleQueue
    private let state: Mutex<Owned?>
    /// Work for the engine's thread from other threads; each returns what to do once committed.
    private let jobs = Mutex<[@Sendable (AlarmEngine, Int64) -> @Sendable () -> Void]>([])
    private let inbox = Mutex<[(AlarmCommand, @Sendable (Result<[AlarmEvent], AlarmCommandError>) -> Void)]>([])
    private let snapshot: Mutex<[AlarmRecord]>
    private let observers = Mutex<[@Sendable ([AlarmEvent]) -> Void]>([])
    /// Reloaded configurations waiting for the engine's thread, each with what to call once applied.
    private let reloads = Mutex<[(config: GatewayConfig, done: @Sendable () -> Void)]>([])
    private let thread = Mutex<pthread_t?>(nil)
    private let clock: any EpochClock
    private let options: Options
    /// The thread's nice value (nil: the process's); see `RealtimeConfig.storageNice`.
    private let threadNice: Int32?
    private let logger: Logger
    private let commits = Atomic<Int>(0)
    private let failures = Atomic<Int>(0)
    public let metrics: AlarmMetrics
    /// The file the state lives in (nil: in memory).
    public let path: String?

    /// What the thread owns: the engine and the store.
    struct Owned: @unchecked Sendable {
        // @unchecked: moved once to the runner's thread, used only there.
        var engine: AlarmEngine
        var store: AlarmStore?
    }

    /// Opens the alarm tables in the historian's file (when the config has a historian), loads
    /// every alarm's state and resumes it.
    public init(
        config: GatewayConfig, clock: any EpochClock, options: Options = Options(),
        metricsFactory: any MetricsFactory = MetricsSystem.factory, logger: Logger
    ) throws(AlarmStoreError) {
        self.clock = clock
        self.options = options
        threadNice = config.realtime.storageNice
        self.logger = logger
        let metrics = AlarmMetrics(factory: metricsFactory)
        self.metrics = metrics
        queue = SampleQueue(capacity: options.queueCapacity)
        var store: AlarmStore?
        var restored: [AlarmRecord] = []
        if let historian = config.historian {
            let s = try AlarmStore(path: historian.path, hooks: config.hooks)
            // The heartbeat before the load: a `kiln alarms` command from now on hands itself to
            // this engine instead of writing state the engine has already read.
            try s.heartbeat(pid: getpid(), started: WallClock.epochMicroseconds(), now: WallClock.epochMicroseconds())
            restored = try s.load()
            store = s
            path = historian.path
        } else {
            path = nil
            logger.warning("no historian: alarm state is kept in memory only and lost at a restart")
            if !config.hooks.isEmpty {
                logger.warning("no historian: the hooks' outbox lives in its file, so no alarm event is delivered")
            }
        }
        let engine = AlarmEngine(
            config: config, restored: restored, now: clock.now.microseconds, logger: logger, metrics: metrics)
        if let store {
            try store.writeAll(engine.records)
            let queued = try store.queueUnqueued()
            if queued > 0 { doorbell.ring() }
        }
        snapshot = Mutex(engine.records)
        state = Mutex(Owned(engine: engine, store: store))
    }

    // MARK: Input

    /// Hands a conditioned batch over; never blocks (a full queue refuses and counts).
    public func submit(_ batch: [Sample]) -> Bool { queue.push(batch) }

    /// Every alarm, as of the engine's last tick or command (the API's `list`).
    public func list() -> [AlarmRecord] { snapshot.withLock { $0 } }

    /// Applies an operator's command on the engine's thread, in its next wake-up; returns its
    /// events once committed.
    public func perform(_ command: AlarmCommand) async -> Result<[AlarmEvent], AlarmCommandError> {
        await withCheckedContinuation { (c: CheckedContinuation<Result<[AlarmEvent], AlarmCommandError>, Never>) in
            inbox.withLock { $0.append((command, { c.resume(returning: $0) })) }
            queue.wake()
        }
    }

    /// Raises or clears the gateway's own alarm `kiln/NAME` on the engine's thread (the hooks'
    /// senders call it when a receiver answers 410 Gone); returns once committed.
    public func setSystemAlarm(_ name: String, active: Bool, severity: AlarmSeverity = .major, reason: String? = nil)
        async
    {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            jobs.withLock {
                $0.append { engine, now in
                    engine.setSystemAlarm(name, active: active, severity: severity, reason: reason, now: now)
                    return { c.resume() }
                }
            }
            queue.wake()
        }
    }

    /// Raises an `escalation` event for an alarm's episode (remediation's fix did not work) on
    /// the engine's thread; returns once committed (false for an unknown alarm).
    public func escalate(alarm: String, episode: String, message: String) async -> Bool {
        await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            jobs.withLock {
                $0.append { engine, now in
                    let known = engine.escalate(path: alarm, episode: episode, message: message, now: now)
                    return { c.resume(returning: known) }
                }
            }
            queue.wake()
        }
    }

    /// Rebuilds the engine for a reloaded configuration on the engine's thread, after every
    /// batch submitted so far, and returns once done. Every alarm keeps its state (by path:
    /// acknowledged, shelved, its episode); an alarm the new configuration no longer has is
    /// closed as at a restart. The hooks of `config` must be those the runner was built with.
    ///
    /// Submit nothing between the last batch of the old configuration and this call's return.
    public func reconfigure(_ config: GatewayConfig) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            reloads.withLock { $0.append((config, { c.resume() })) }
            queue.wake()
            if thread.withLock({ $0 == nil }) {
                for r in reloads.withLock({ r in
                    defer { r.removeAll() }; return r
                }) {
                    r.done()
                }
            }
        }
    }

    /// Adds an observer of every event, called on the engine's thread right after the events
    /// are committed (so what it sees is in the file), in order. It must return quickly: hand
    /// the events to another thread.
    public func observe(_ observer: @escaping @Sendable ([AlarmEvent]) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// Commits that failed (their writes are retried with the next one).
    public var failedCommits: Int { failures.load(ordering: .relaxed) }

    /// Commits so far (tests wait on it).
    public var commitCount: Int { commits.load(ordering: .relaxed) }

    // MARK: Thread

    /// Starts the engine's thread (once).
    public func start() throws(AlarmStoreError) {
        guard
            let owned = state.withLock({ s in
                defer { s = nil }; return s
            })
        else { return }
        var handle = pthread_t()
        let rc = OSThread.spawn(name: "kiln-alarms", handle: &handle) { [self] in
            if let threadNice { OSThread.setCurrentNice(threadNice) }
            run(owned)
        }
        guard rc == 0 else { throw AlarmStoreError("cannot start the alarm engine's thread (error \(rc))") }
        thread.withLock { $0 = handle }
    }

    /// Takes what is queued, commits, clears the heartbeat and stops the thread. Blocks.
    public func stop() {
        queue.close()
        if let handle = thread.withLock({ t in
            defer { t = nil }; return t
        }) {
            pthread_join(handle, nil)
        }
    }

    private func run(_ owned: Owned) {
        var engine = owned.engine
        let store = owned.store
        let started = WallClock.epochMicroseconds()
        let pid = getpid()
        var lastBeat: Int64 = 0
        var lastTick: Int64 = 0
        let tick = options.tick.wholeMicroseconds
        var batches: [[Sample]] = []
        var commandsDone: [(id: Int64, result: Result<Void, AlarmCommandError>)] = []
        // The snapshot for `list` is copied at ticks and commands, not at every commit: a copy
        // of every record per batch would cost a large plant more than the batch itself.
        var snapshotStale = false
        var afterCommit: [@Sendable () -> Void] = []
        var unwritten:
            (
                changed: [String: AlarmRecord], events: [AlarmEvent],
                commands: [(id: Int64, result: Result<Void, AlarmCommandError>)]
            ) = ([:], [], [])
        var replies:
            [(@Sendable (Result<[AlarmEvent], AlarmCommandError>) -> Void, Result<[AlarmEvent], AlarmCommandError>)] =
                []
        while true {
            let closed = queue.take(waitingAtMost: options.tick, into: &batches)
            var now = clock.now.microseconds
            for b in batches { engine.observe(b, now: now) }
            batches.removeAll(keepingCapacity: true)
            let wall = WallClock.epochMicroseconds()
            // In-process commands (the API).
            for (command, reply) in inbox.withLock({ i in
                defer { i.removeAll() }; return i
            }) {
                now = clock.now.microseconds
                let result = Result { () throws(AlarmCommandError) in try engine.apply(command, now: now) }
                metrics.command(applied: (try? result.get()) != nil)
                replies.append((reply, result))
            }
            for job in jobs.withLock({ j in
                defer { j.removeAll() }; return j
            }) {
                now = clock.now.microseconds
                afterCommit.append(job(engine, now))
            }
            if wall - lastTick >= tick || closed {
                lastTick = wall
                now = clock.now.microseconds
                engine.tick(now: now)
                if let store {
                    do {
                        for (id, command) in try store.pendingCommands() {
                            let result = Result { () throws(AlarmCommandError) in
                                _ = try engine.apply(command, now: now)
                            }
                            metrics.command(applied: (try? result.get()) != nil)
                            commandsDone.append((id, result))
                        }
                        if wall - lastBeat >= 1_000_000 {
                            try store.heartbeat(pid: pid, started: started, now: wall)
                            lastBeat = wall
                        }
                    } catch {
                        logger.error("alarm commands: \(error)")
                    }
                }
            }
            if engine.hasOutput || !commandsDone.isEmpty || !unwritten.events.isEmpty || !unwritten.changed.isEmpty {
                let output = engine.takeOutput()
                // What a failed commit left (a full disk, a lock held past busy_timeout) goes
                // first, so no event is lost while the file can be written again.
                var changed = unwritten.changed
                for r in output.changed { changed[r.path] = r }
                let events = unwritten.events + output.events
                let commands = unwritten.commands + commandsDone
                var queued = 0
                var committed = store == nil ? events : []
                if let store {
                    do {
                        queued = try store.commit(
                            changed: changed.values.sorted { $0.path < $1.path }, events: events, commands: commands,
                            now: now)
                        unwritten = ([:], [], [])
                        committed = events
                    } catch {
                        failures.add(1, ordering: .relaxed)
                        unwritten = (changed, events, commands)
                        logger.error(
                            "alarm state not written; retrying with the next change or tick",
                            metadata: ["kiln.error": "\(error)", "kiln.events": "\(events.count)"])
                    }
                }
                commandsDone.removeAll()
                commits.add(1, ordering: .relaxed)
                snapshotStale = true
                if queued > 0 { doorbell.ring() }
                for e in output.events { log(e) }
                if !committed.isEmpty {
                    for observer in observers.withLock({ $0 }) { observer(committed) }
                }
            }
            if snapshotStale, !replies.isEmpty || !afterCommit.isEmpty || wall == lastTick || closed {
                snapshot.withLock { $0 = engine.records }
                snapshotStale = false
            }
            for (reply, result) in replies { reply(result) }
            replies.removeAll()
            for done in afterCommit { done() }
            afterCommit.removeAll()
            // After this wake-up's commit: the old engine's last changes are in the file.
            for reload in reloads.withLock({ r in
                defer { r.removeAll() }; return r
            }) {
                engine = reloaded(engine, to: reload.config, store: store)
                reload.done()
            }
            if closed { break }
        }
        for reload in reloads.withLock({ r in
            defer { r.removeAll() }; return r
        }) {
            reload.done()
        }
        for job in jobs.withLock({ j in
            defer { j.removeAll() }; return j
        }) {
            job(engine, clock.now.microseconds)()
        }
        // Commands that came after the close are refused.
        for (_, reply) in inbox.withLock({ i in
            defer { i.removeAll() }; return i
        }) {
            reply(.failure(AlarmCommandError("the alarm engine has stopped")))
        }
        store?.clearHeartbeat()
    }

    /// A new engine for `config` that resumes every alarm of `engine` by path, written to the file.
    private func reloaded(_ engine: AlarmEngine, to config: GatewayConfig, store: AlarmStore?) -> AlarmEngine {
        let next = AlarmEngine(
            config: config, restored: engine.records, now: clock.now.microseconds, logger: logger, metrics: metrics)
        if let store {
            do {
                try store.writeAll(next.records)
            } catch {
                // The next commit writes every changed record again; the rest stays as it was.
                logger.error("alarm state not written after the reload", metadata: ["kiln.error": "\(error)"])
            }
        }
        snapshot.withLock { $0 = next.records }
        return next
    }

    private func log(_ e: AlarmEvent) {
        logger.info(
            "alarm \(e.transition.rawValue)",
            metadata: [
                "kiln.alarm": "\(e.alarm)", "kiln.state": "\(e.state.rawValue)", "kiln.episode": "\(e.episode)",
                "kiln.severity": "\(e.severity.rawValue)",
            ])
    }
}
