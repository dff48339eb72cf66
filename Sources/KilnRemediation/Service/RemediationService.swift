import CoreMetrics
import KilnAlarms
import KilnCore
import KilnSQLite
import Logging
import ServiceLifecycle
import Synchronization

/// Remediation as a service of the gateway: acts on the alarm runner's episodes through an
/// injected ``RemoteTransport``, with its durable queue and audit log in the gateway's file.
///
/// One loop owns the engine and its connection: it takes the runner's committed events, the
/// verify samples and the transport's results from an inbox, commits what they decide, hands
/// each started run to its own task (a hung host never delays another's runs), and sleeps until
/// the next deadline (a persisted condition, a due run, a verify limit, the breaker's closing),
/// woken early by any input, and at least every `rescan` to see operators' decisions made in
/// other processes. Graceful shutdown stops starting runs, waits for the running ones (they
/// have timeouts), then shuts the transport down.
public final class RemediationService: Service, Sendable {
    public struct Options: Sendable {
        /// How often the open rows are read back even when nothing woke the loop (approvals by
        /// `kiln remediation approve` in another process).
        public var rescan: Duration

        public init(rescan: Duration = .milliseconds(500)) { self.rescan = rescan }
    }

    private struct Inbox {
        var events: [AlarmEvent] = []
        var samples: [VerifySample] = []
        var finished: [(id: Int64, result: RemoteRunResult)] = []
    }

    public let config: RemediationConfig
    public let path: String
    public let metrics: RemediationMetrics
    private let runner: AlarmRunner
    private let transport: any RemoteTransport
    private let clock: any EpochClock
    private let options: Options
    private let logger: Logger
    private let store: RunStore
    /// Operators' in-process calls (the API): their own connection, one call at a time.
    private let operators: Mutex<Connection>
    private let inbox = Mutex(Inbox())
    private let wake = Wakeup()
    private let stopping = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    private let verifying = Atomic<Bool>(false)

    /// Opens (and migrates) the queue in the file at `path`; nothing runs until ``run()``.
    ///
    /// - Parameters:
    ///   - config: the gateway's `remediation:` block.
    ///   - path: the gateway's SQLite file (the historian's).
    ///   - runner: the alarm engine whose episodes trigger the rules; it must outlive this service.
    ///   - transport: runs the commands (`SSHTransport`; a recording fake in tests).
    ///   - clock: the wall clock (a ``ManualClock`` in tests).
    public init(
        config: RemediationConfig, path: String, runner: AlarmRunner, transport: any RemoteTransport,
        clock: any EpochClock = WallClock(), options: Options = Options(),
        metricsFactory: any MetricsFactory = MetricsSystem.factory, logger: Logger
    ) throws(SQLiteError) {
        self.config = config
        self.path = path
        self.runner = runner
        self.transport = transport
        self.clock = clock
        self.options = options
        self.logger = logger
        metrics = RemediationMetrics(factory: metricsFactory)
        store = try RunStore(path: path)
        let db = try Connection(path: path)
        try db.execute("PRAGMA busy_timeout = 5000")
        operators = Mutex(db)
    }

    // MARK: Input

    /// Whether some run waits for its verify condition (the gateway's sink hands samples over
    /// only then).
    public var isVerifying: Bool { verifying.load(ordering: .relaxed) }

    /// The `device/tag` of every rule's verify condition: the only samples worth handing over.
    public var verifyTags: Set<String> {
        Set(config.rules.compactMap { r in r.verify.map { "\($0.device)/\($0.tag)" } })
    }

    /// Hands conditioned samples of verify tags over; never blocks.
    public func submit(_ samples: [VerifySample]) {
        guard !samples.isEmpty, isVerifying else { return }
        inbox.withLock { $0.samples += samples }
        wake.ring()
    }

    // MARK: Operators

    /// Approves a run waiting for approval (the API's call; the CLI writes the file the same way).
    @discardableResult
    public func approve(id: Int64, by: String, note: String? = nil) throws(RunQueueError) -> RunRow {
        let now = clock.now.microseconds
        let row = try operators.withLock { db throws(RunQueueError) in
            try RunQueueOperators.approve(db: db, id: id, by: by, note: note, now: now)
        }
        wake.ring()
        return row
    }

    /// Rejects a run waiting for approval.
    @discardableResult
    public func reject(id: Int64, by: String, note: String? = nil) throws(RunQueueError) -> RunRow {
        let now = clock.now.microseconds
        let row = try operators.withLock { db throws(RunQueueError) in
            try RunQueueOperators.reject(db: db, id: id, by: by, note: note, now: now)
        }
        wake.ring()
        return row
    }

    /// Every run not done, oldest first.
    public func list() throws(RunQueueError) -> [RunRow] {
        try operators.withLock { db throws(RunQueueError) in try RunQueueOperators.open(db: db) }
    }

    // MARK: Running

    public func run() async throws {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        runner.observe { [self] events in
            guard !stopping.load(ordering: .relaxed) else { return }
            inbox.withLock { $0.events += events }
            wake.ring()
        }
        let engine = RemediationEngine(
            config: config, store: store, runner: runner, metrics: metrics, logger: logger)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                await loop(engine, &group)
            }
        } onGracefulShutdown: { [self] in
            stopping.store(true, ordering: .relaxed)
            wake.ring()
        }
        await transport.shutdown()
        logger.info("remediation stopped")
    }

    private func loop(_ engine: RemediationEngine, _ group: inout DiscardingTaskGroup) async {
        var recovered = false
        var inFlight = 0
        var lastReconcile = ContinuousClock.now
        while true {
            let stop = stopping.load(ordering: .relaxed) || Task.isCancelled
            let input = inbox.withLock { i in
                defer { i = Inbox() }
                return i
            }
            for e in input.events { engine.alarms.apply(e) }
            engine.finished += input.finished
            inFlight -= input.finished.count
            var plan = RemediationEngine.Plan()
            do {
                if !recovered {
                    try await engine.recover(now: clock.now.microseconds, records: runner.list())
                    recovered = true
                } else if ContinuousClock.now - lastReconcile >= options.rescan {
                    engine.alarms.reconcile(runner.list())
                    lastReconcile = .now
                }
                plan = try await engine.step(now: clock.now.microseconds, samples: input.samples, stopping: stop)
            } catch {
                logger.error(
                    "remediation queue not written; retrying",
                    metadata: ["kiln.error": "\(error)", "kiln.path": "\(path)"])
            }
            for run in plan.starts {
                inFlight += 1
                group.addTask { [self] in
                    let result = await transport.run(run)
                    inbox.withLock { $0.finished.append((run.id, result)) }
                    wake.ring()
                }
            }
            verifying.store(!plan.watched.isEmpty, ordering: .relaxed)
            if stop && inFlight == 0 { break }
            await sleep(until: stop ? nil : plan.deadline)
        }
    }

    /// Sleeps until `deadline` (µs, on the injected clock), a ring, or the rescan interval.
    private func sleep(until deadline: Int64?) async {
        await withTaskGroup(of: Void.self) { g in
            g.addTask { await self.wake.wait() }
            g.addTask { try? await Task.sleep(for: self.options.rescan) }
            if let deadline {
                g.addTask { try? await self.clock.sleep(until: EpochInstant(microseconds: deadline), tolerance: nil) }
            }
            _ = await g.next()
            g.cancelAll()
        }
    }
}
