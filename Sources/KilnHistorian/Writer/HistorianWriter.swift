import CoreMetrics
import KilnCore
import Logging
import Synchronization

/// Stores the samples `kiln run` drains from the pollers, on its own thread.
///
/// Samples are inserted as they arrive into an open transaction that commits every `flush` or
/// every `maxBatchRows` rows, whichever comes first: a crash loses at most that one transaction,
/// and SQLite's WAL keeps the file consistent. The hand-off queue is bounded; when it is full a
/// batch is refused, counted and logged, and the pollers go on. A storage error (disk full) is
/// logged once, the writer drops (and counts) samples while retrying every `retryInterval`, and
/// when writing works again it records the gap: a `gaps` row and, per tag, a sample with no value
/// and status `BadResourceUnavailable` at the time of its first lost sample.
public final class HistorianWriter: Sendable {
    /// Tuning; the defaults suit `kiln run`.
    public struct Options: Sendable {
        public var flush: Duration
        public var maxBatchRows: Int
        /// Samples the hand-off queue holds before it refuses batches.
        public var queueCapacity: Int
        public var policy: RetentionPolicy
        /// How often compaction and retention run, and how long each run may take at most.
        public var maintenanceInterval: Duration
        public var maintenanceBudget: Duration
        /// How often to try writing again after a storage error.
        public var retryInterval: Duration
        /// The writer thread's nice value (nil: the process's); see `RealtimeConfig.storageNice`.
        public var threadNice: Int32?

        public init(
            flush: Duration = .seconds(1), maxBatchRows: Int = 262_144, queueCapacity: Int = 500_000,
            policy: RetentionPolicy = RetentionPolicy(rawWindow: 86_400_000_000, retention: nil),
            maintenanceInterval: Duration = .seconds(60), maintenanceBudget: Duration = .milliseconds(200),
            retryInterval: Duration = .seconds(1)
        ) {
            self.flush = flush
            self.maxBatchRows = maxBatchRows
            self.queueCapacity = queueCapacity
            self.policy = policy
            self.maintenanceInterval = maintenanceInterval
            self.maintenanceBudget = maintenanceBudget
            self.retryInterval = retryInterval
        }

        public init(_ config: HistorianConfig) {
            self.init(flush: config.flush, policy: RetentionPolicy(config))
        }
    }

    public let options: Options
    private let queue: SampleQueue
    private let counters: StatisticsCounters
    private let logger: Logger
    private let loop: Mutex<WriterLoop?>
    private let thread = Mutex<JoinableThread?>(nil)
    private let store: any HistorianStore
    private let lastDropLog = Atomic<Int64>(Int64.min)
    private let clock: any EpochClock
    private let requests = WriterRequests()

    /// - Parameters:
    ///   - store: where samples go (`SQLiteStore` in production).
    ///   - tags: every tag, by device index then tag index (`TagDescriptor.all(in:)`).
    ///   - filters: per device and tag, the historian settings (nil = store every sample).
    ///   - metrics: where the writer's metrics (``HistorianMetrics``) go; nil for swift-metrics'
    ///     global `MetricsSystem.factory`, which must then be bootstrapped first.
    ///   - clock: what the writer reads for what it records, its flush deadline, retries and
    ///     retention; a `ManualClock` makes flush and retention tests run in milliseconds.
    public init(
        store: any HistorianStore, tags: [[TagDescriptor]], filters: [[TagHistorianConfig?]] = [],
        options: Options = Options(), logger: Logger, metrics: (any MetricsFactory)? = nil,
        clock: any EpochClock = WallClock()
    ) {
        let counters = StatisticsCounters(metrics: HistorianMetrics(factory: metrics))
        self.counters = counters
        self.options = options
        self.queue = SampleQueue(capacity: options.queueCapacity)
        self.logger = logger
        self.store = store
        self.clock = clock
        self.loop = Mutex(
            WriterLoop(
                store: store, tags: tags, filters: filters, options: options, counters: counters, logger: logger,
                clock: clock))
    }

    /// A writer for `config`'s historian (the file at `config.historian.path`).
    public convenience init(
        config: GatewayConfig, historian: HistorianConfig, logger: Logger, metrics: (any MetricsFactory)? = nil,
        clock: any EpochClock = WallClock()
    ) throws(HistorianError) {
        let store = try SQLiteStore(path: historian.path)
        var options = Options(historian)
        options.threadNice = config.realtime.storageNice
        self.init(
            store: store, tags: TagDescriptor.all(in: config),
            filters: config.devices.map { $0.tags.map(\.historian) }, options: options, logger: logger,
            metrics: metrics, clock: clock)
    }

    /// Registers the tags in the file, then starts the writer thread.
    public func start() throws(HistorianError) {
        guard var body = loop.withLock({ $0.take() }) else { return }
        try body.registerTags()
        store.startBackgroundWork()
        let t = JoinableThread()
        let nice = options.threadNice
        let rc = t.start(name: "kiln-historian") { [body, queue, requests] in
            // Storing what was polled comes before serving the API: under an HTTP load on a
            // small machine the writer fell behind and its queue dropped samples.
            if let nice { OSThread.setCurrentNice(nice) }
            var loop = body
            loop.run(queue: queue, requests: requests)
            // A reload posted as the writer stopped must not wait forever.
            for request in requests.take() { request.done() }
        }
        guard rc == 0 else { throw HistorianError("cannot start the historian writer thread (error \(rc))") }
        thread.withLock { $0 = t }
    }

    /// Hands a batch to the writer without blocking. Returns false (and counts and logs it) when
    /// the queue is full.
    @discardableResult
    public func submit(_ batch: [Sample]) -> Bool {
        guard !batch.isEmpty else { return true }
        if queue.push(batch) { return true }
        counters.countQueueFull(batch.count)
        let now = clock.now.microseconds
        let last = lastDropLog.load(ordering: .relaxed)
        if last == .min || now - last > 10_000_000 || now < last,
            lastDropLog.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged
        {
            logger.warning(
                "historian queue full: samples dropped (the disk cannot keep up)",
                metadata: [
                    "kiln.dropped": "\(counters.droppedQueueFull.load(ordering: .relaxed))",
                    "kiln.queue_capacity": "\(queue.capacity)",
                ])
        }
        return false
    }

    /// Hands a batch over, waiting while the queue is full (benchmarks and imports, never `kiln run`).
    public func submitWaiting(_ batch: [Sample]) {
        guard !batch.isEmpty else { return }
        while !queue.push(batch) { usleepShort() }
    }

    /// Wakes the writer thread to look at its clock: a commit or a retry may be due. Needed only
    /// with a clock that jumps (`ManualClock`); with the wall clock the writer wakes by itself.
    public func wake() { queue.wake() }

    /// Switches the writer to a reloaded configuration's tags, on its thread, after every batch
    /// submitted so far; returns once done. What the old tags' filters hold is stored first; the
    /// run record stays open (a reload is not a stop, and leaves no gap).
    ///
    /// Submit nothing between the last batch of the old tags and this call's return.
    /// - Parameters:
    ///   - tags: every tag of the new configuration, by device index then tag index.
    ///   - ids: their database ids, in the same (flattened) order, from ``SQLiteStore/register(_:)``.
    ///   - filters: per device and tag, the historian settings.
    public func reconfigure(tags: [[TagDescriptor]], ids: [Int64], filters: [[TagHistorianConfig?]]) async {
        precondition(ids.count == tags.reduce(0) { $0 + $1.count }, "an id for every tag")
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            requests.post(.init(tags: tags, ids: ids, filters: filters, done: { c.resume() }))
            queue.wake()
            // Not started yet (or stopped): nothing runs the request, so apply nothing and return.
            if thread.withLock({ $0 == nil }) { for request in requests.take() { request.done() } }
        }
    }

    /// Samples waiting in the queue.
    public var queued: Int { queue.count }

    /// Stores everything queued, flushes the filters, commits and stops the thread.
    public func stop() {
        queue.close()
        thread.withLock { $0?.join() }
        store.stopBackgroundWork()
    }

    public var statistics: HistorianStatistics { counters.snapshot }
}

typealias WriterOptions = HistorianWriter.Options

/// Reloads waiting for the writer thread.
final class WriterRequests: Sendable {
    struct Request: Sendable {
        var tags: [[TagDescriptor]]
        var ids: [Int64]
        var filters: [[TagHistorianConfig?]]
        var done: @Sendable () -> Void
    }
    private let pending = Mutex<[Request]>([])

    func post(_ request: Request) { pending.withLock { $0.append(request) } }

    func take() -> [Request] {
        pending.withLock { p in
            defer { p.removeAll() }
            return p
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif

@inline(__always) func usleepShort() { usleep(100) }
