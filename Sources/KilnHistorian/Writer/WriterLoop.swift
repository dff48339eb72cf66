import KilnCore
import KilnSQLite
import KilnSeries
import Logging

/// The writer thread's state and loop. Owned by that thread alone once started.
struct WriterLoop: Sendable {
    let store: any HistorianStore
    private(set) var tags: [TagDescriptor]
    /// Device and tag to flat tag index.
    private(set) var tagIndex: TagIndex
    let options: WriterOptions
    let counters: StatisticsCounters
    let logger: Logger
    let clock: any EpochClock

    /// Per flat tag index: the database id, and the exception filter when the tag has one.
    private var ids: [Int64] = []
    private var filters: [ExceptionFilter?]
    /// `filters[i] != nil`, kept apart: testing the optional itself copies the filter.
    private var filtered: [Bool]

    // MARK: The batch being gathered
    /// Per flat tag index, the rows of the next commit. Rows are inserted tag by tag in id order:
    /// each tag's rows then append to the end of its key range in the (tag, time) B-tree, page
    /// after page, instead of touching every tag's last page for every poll cycle.
    private var pending: [[PendingRow]]
    /// Flat tag indices in ascending database id order.
    private var insertOrder: [Int] = []
    private var touched: [Int] = []
    private var texts: [String] = []
    private var rows = 0
    /// Clock time (µs) the first pending row arrived.
    private var batchStarted: Int64 = 0

    // MARK: Failure state
    private struct Failure {
        var reason: String
        var lost = 0
        var firstLost: [Int64: Int64] = [:]
        var nextRetry: Int64
    }
    private var failure: Failure?
    private var nextMaintenance: Int64 = 0

    init(
        store: any HistorianStore, tags: [[TagDescriptor]], filters: [[TagHistorianConfig?]], options: WriterOptions,
        counters: StatisticsCounters, logger: Logger, clock: any EpochClock
    ) {
        self.store = store
        self.tags = tags.flatMap { $0 }
        self.tagIndex = TagIndex(tagCounts: tags.map(\.count))
        self.options = options
        self.counters = counters
        self.logger = logger
        self.clock = clock
        var flatFilters: [ExceptionFilter?] = []
        for (d, device) in tags.enumerated() {
            for (t, tag) in device.enumerated() {
                let config = d < filters.count && t < filters[d].count ? filters[d][t] : nil
                flatFilters.append(WriterLoop.filter(for: config, tag: tag))
            }
        }
        self.filters = flatFilters
        self.filtered = flatFilters.map { $0 != nil }
        pending = Array(repeating: [], count: self.tags.count)
    }

    /// Numeric tags with any of deadband, compression or max_interval get a filter; bools and
    /// strings are stored on every change of… every sample (they are small and rare).
    static func filter(for config: TagHistorianConfig?, tag: TagDescriptor) -> ExceptionFilter? {
        guard let config, !tag.isText, !tag.isBool,
            config.deadband != nil || config.compression != nil || config.maxInterval != nil
        else { return nil }
        return ExceptionFilter(
            deadband: config.deadband, compression: config.compression,
            maxInterval: config.maxInterval.map(\.wholeMicroseconds))
    }

    mutating func registerTags() throws(HistorianError) {
        ids = try store.register(tags)
        for run in try store.openRun(now: now) {
            logger.warning(
                "historian: the previous run did not stop cleanly; it is closed at its last committed sample, and the time after it reads as not covered",
                metadata: [
                    "kiln.run_start": "\(Timestamp.rfc3339(micros: run.start))",
                    "kiln.run_end": "\(Timestamp.rfc3339(micros: run.end ?? run.start))",
                ])
        }
        insertOrder = ids.indices.sorted { ids[$0] < ids[$1] }
        nextMaintenance = now + options.maintenanceInterval.wholeMicroseconds
    }

    // MARK: - The loop

    /// The clock's reading, µs since the epoch.
    private var now: Int64 { clock.now.microseconds }

    /// Whether `interval` µs have passed since `since` by `time`; also when the clock stepped back
    /// before `since` (a wall clock set back must not hold a commit for as long as it stepped).
    @inline(__always)
    private static func isDue(_ time: Int64, since: Int64, interval: Int64) -> Bool {
        time - since >= interval || time < since
    }

    mutating func run(queue: SampleQueue, requests: WriterRequests) {
        let flush = options.flush.wholeMicroseconds
        var batches: [[Sample]] = []
        while true {
            // Waits for data, for the flush deadline by the clock (never longer than `flush`,
            // so a clock step cannot hold rows back), or for ``HistorianWriter/wake()``.
            let left = rows > 0 ? min(max(batchStarted + flush - now, 0), flush) : flush
            let closed = queue.take(waitingAtMost: .microseconds(left), into: &batches)
            for batch in batches { process(batch) }
            batches.removeAll(keepingCapacity: true)
            // After the batches taken with it: the caller posts a reload once every sample of
            // the old tags was submitted, and submits the new tags' only once it is done.
            for request in requests.take() {
                reconfigure(request)
                request.done()
            }
            if closed { break }
            let after = now
            if rows > 0, Self.isDue(after, since: batchStarted, interval: flush) { commit() }
            if failure == nil,
                after >= nextMaintenance || after < nextMaintenance - options.maintenanceInterval.wholeMicroseconds
            {
                maintain()
            }
        }
        // Shutdown: record a gap if writing failed and works again now, then what the filters
        // still hold, then the last commit.
        if failure != nil {
            failure?.nextRetry = 0
            _ = retry()
        }
        flushFilters()
        commit()
        // A clean stop: the run covers up to now. Not while writing fails (the disk is still
        // full): the run then stays open, and the next start closes it at its last committed
        // sample and records the gap.
        if failure == nil {
            do {
                try store.closeRun(now: now)
            } catch {
                logger.warning("historian: cannot record the clean stop", metadata: ["kiln.error": "\(error)"])
            }
        }
        logger.info(
            "historian writer stopped", metadata: ["kiln.rows": "\(counters.rowsWritten.load(ordering: .relaxed))"])
    }

    /// Stores what the filters still hold.
    private mutating func flushFilters() {
        for i in filters.indices where filters[i] != nil {
            // A held point was counted as filtered out when it was offered; it is stored after all.
            for p in filters[i]!.flush() {
                counters.filteredOut.add(-1, ordering: .relaxed)
                append(i, PendingRow(time: p.time, value: .init(p.value), raw: .init(p.raw), status: p.status))
            }
        }
    }

    /// Takes a reloaded configuration's tags: what the old tags' filters hold is stored and
    /// committed, then the samples that follow are of the new tags. The run stays open: a
    /// reload is not a stop.
    private mutating func reconfigure(_ request: WriterRequests.Request) {
        flushFilters()
        commit()
        tags = request.tags.flatMap { $0 }
        tagIndex = TagIndex(tagCounts: request.tags.map(\.count))
        ids = request.ids
        var flatFilters: [ExceptionFilter?] = []
        for (d, device) in request.tags.enumerated() {
            for (t, tag) in device.enumerated() {
                let config = d < request.filters.count && t < request.filters[d].count ? request.filters[d][t] : nil
                flatFilters.append(WriterLoop.filter(for: config, tag: tag))
            }
        }
        filters = flatFilters
        filtered = flatFilters.map { $0 != nil }
        pending = Array(repeating: [], count: tags.count)
        touched.removeAll()
        insertOrder = ids.indices.sorted { ids[$0] < ids[$1] }
    }

    private mutating func process(_ batch: [Sample]) {
        if failure != nil, !retry() {
            drop(batch[...])
            return
        }
        var n = 0
        while n < batch.count {
            guard let i = index(of: batch[n]) else {
                n += 1
                continue
            }
            if filtered[i] {
                let s = batch[n]
                let point = Point(
                    time: s.timestamp, value: s.value?.number, raw: s.raw?.number, status: s.status.rawValue)
                let kept = filters[i]!.offer(point)
                counters.filteredOut.add(1 - kept.count, ordering: .relaxed)
                for p in kept {
                    append(i, PendingRow(time: p.time, value: .init(p.value), raw: .init(p.raw), status: p.status))
                }
            } else {
                let row = PendingRow(
                    time: batch[n].timestamp, value: .init(batch[n].value, texts: &texts),
                    raw: .init(batch[n].raw, texts: &texts), status: batch[n].status.rawValue)
                append(i, row)
            }
            n += 1
            if rows >= options.maxBatchRows {
                commit()
                if failure != nil {
                    drop(batch[n...])
                    return
                }
            }
        }
    }

    /// The flat index of a sample's tag; nil (and the sample ignored) when the gateway has no
    /// such device or tag, which only a caller's bug can cause.
    @inline(__always)
    private func index(of s: Sample) -> Int? {
        tagIndex.slot(of: s)
    }

    @inline(__always)
    private mutating func append(_ i: Int, _ row: PendingRow) {
        if rows == 0 { batchStarted = now }
        if pending[i].isEmpty { touched.append(i) }
        pending[i].append(row)
        rows += 1
    }

    /// Rows after which a long flush commits and lets a waiting urgent writer (the alarm
    /// engine, the hooks) take the file's write lock before it goes on: a flush of 40,000 rows
    /// holds the lock for 25–100 ms, which would all be sample → webhook latency.
    static let chunkRows = 4_096

    /// Writes the gathered rows: one transaction, or one per ``chunkRows`` rows (whole tags) when
    /// there are more.
    private mutating func commit() {
        guard rows > 0 else { return }
        var seen: [TagSeen] = []
        seen.reserveCapacity(touched.count)
        let started = ContinuousClock.now
        let total = rows
        var inTransaction = 0
        var chunk: [Int] = []
        do {
            try store.begin()
            for i in insertOrder where !pending[i].isEmpty {
                let id = ids[i]
                try pending[i].withUnsafeBufferPointer { rows throws(SQLiteError) in
                    try store.insert(tag: id, rows: rows, texts: texts)
                    var first = Int64.max
                    var last = Int64.min
                    for row in rows {
                        first = min(first, row.time)
                        last = max(last, row.time)
                    }
                    seen.append(TagSeen(tag: id, first: first, last: last))
                }
                inTransaction += pending[i].count
                chunk.append(i)
                if inTransaction >= Self.chunkRows, rows > inTransaction {
                    try store.commit(seen: seen)
                    seen.removeAll(keepingCapacity: true)
                    for t in chunk { pending[t].removeAll(keepingCapacity: true) }
                    rows -= inTransaction
                    inTransaction = 0
                    chunk.removeAll(keepingCapacity: true)
                    Connection.yieldToUrgentWriters()
                    try store.begin()
                }
            }
            try store.commit(seen: seen)
        } catch {
            if rows < total {
                counters.committed(rows: total - rows, nanoseconds: (ContinuousClock.now - started).nanoseconds)
            }
            fail(error)
            return
        }
        counters.committed(rows: total, nanoseconds: (ContinuousClock.now - started).nanoseconds)
        clearBatch()
    }

    private mutating func clearBatch() {
        for i in touched { pending[i].removeAll(keepingCapacity: pending[i].capacity <= 65_536) }
        touched.removeAll(keepingCapacity: true)
        texts.removeAll(keepingCapacity: true)
        rows = 0
    }

    // MARK: - Storage errors

    /// Abandons the transaction (its rows are lost) and enters the failing state.
    private mutating func fail(_ error: SQLiteError) {
        store.rollback()
        var lost = Failure(
            reason: error.description,
            nextRetry: now + options.retryInterval.wholeMicroseconds)
        if let previous = failure {
            lost.lost = previous.lost
            lost.firstLost = previous.firstLost
        }
        lost.lost += rows
        for i in touched where !pending[i].isEmpty {  // a committed part of a flush is empty
            let first = pending[i].lazy.map(\.time).min() ?? .max
            lost.firstLost[ids[i]] = min(lost.firstLost[ids[i]] ?? .max, first)
        }
        counters.countLostStorage(rows)
        if failure == nil {
            counters.storageErrors.add(1, ordering: .relaxed)
            logger.error(
                "historian cannot write; samples are dropped and counted until it can, polling goes on",
                metadata: ["kiln.error": "\(error)", "kiln.lost": "\(rows)"])
        }
        failure = lost
        clearBatch()
    }

    /// Samples that arrive while writing fails.
    private mutating func drop(_ samples: ArraySlice<Sample>) {
        guard !samples.isEmpty, var f = failure else { return }
        for s in samples {
            guard let i = index(of: s) else { continue }
            let id = ids[i]
            if let first = f.firstLost[id] {
                if s.timestamp < first { f.firstLost[id] = s.timestamp }
            } else {
                f.firstLost[id] = s.timestamp
            }
        }
        f.lost += samples.count
        counters.countLostStorage(samples.count)
        failure = f
    }

    /// When due, tries to record the gap; true when writing works again.
    private mutating func retry() -> Bool {
        guard let f = failure else { return true }
        guard now >= f.nextRetry || now < f.nextRetry - options.retryInterval.wholeMicroseconds else { return false }
        let start = f.firstLost.values.min() ?? now
        let gap = Gap(start: start, end: now, lost: f.lost, reason: f.reason, firstLost: f.firstLost)
        do {
            try store.begin()
            try store.recordGap(gap, status: StatusCode.badResourceUnavailable.rawValue)
            try store.commit(seen: [])
        } catch {
            store.rollback()
            let next = now + options.retryInterval.wholeMicroseconds
            failure?.nextRetry = next
            return false
        }
        failure = nil
        counters.recordedGap(markers: f.firstLost.count)
        logger.warning(
            "historian writing again; the gap is recorded",
            metadata: [
                "kiln.gap_start": "\(Timestamp.rfc3339(micros: gap.start))",
                "kiln.gap_end": "\(Timestamp.rfc3339(micros: gap.end))", "kiln.lost": "\(f.lost)",
            ])
        return true
    }

    // MARK: - Maintenance

    private mutating func maintain() {
        do {
            let report = try store.maintain(now: now, policy: options.policy, budget: options.maintenanceBudget)
            counters.blocksWritten.add(report.blocksWritten, ordering: .relaxed)
            counters.pointsCompacted.add(report.pointsCompacted, ordering: .relaxed)
            counters.blocksDropped.add(report.blocksDropped, ordering: .relaxed)
            counters.rowsDropped.add(report.rowsDropped, ordering: .relaxed)
            if report.blocksWritten > 0 || report.blocksDropped > 0 || report.rowsDropped > 0 {
                logger.info(
                    "historian maintenance",
                    metadata: [
                        "kiln.blocks_written": "\(report.blocksWritten)", "kiln.points": "\(report.pointsCompacted)",
                        "kiln.blocks_dropped": "\(report.blocksDropped)", "kiln.rows_dropped": "\(report.rowsDropped)",
                    ])
            }
            // Work left: come back soon, between two commits.
            let wait = report.finished ? options.maintenanceInterval.wholeMicroseconds : options.flush.wholeMicroseconds
            nextMaintenance = now + wait
        } catch {
            logger.warning("historian maintenance failed; retrying later", metadata: ["kiln.error": "\(error)"])
            nextMaintenance = now + options.maintenanceInterval.wholeMicroseconds
        }
    }
}
