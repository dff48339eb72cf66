import Synchronization

/// The writer's counters, readable from any thread (for the run summary and, later, metrics).
public struct HistorianStatistics: Sendable, Hashable {
    /// Rows committed to the file (filtered points, gap markers included).
    public var rowsWritten = 0
    public var commits = 0
    /// Samples refused because the writer's queue was full.
    public var droppedQueueFull = 0
    /// Samples the exception / swinging-door filter chose not to store.
    public var filteredOut = 0
    /// Samples lost to storage errors (disk full, I/O errors).
    public var lostStorage = 0
    /// Storage errors met (each may cover many retries).
    public var storageErrors = 0
    /// Gaps recorded (in the `gaps` table) after the writer resumed.
    public var gaps = 0
    public var blocksWritten = 0
    public var pointsCompacted = 0
    public var blocksDropped = 0
    public var rowsDropped = 0

    public init() {}
}

/// Lock-free counters behind `HistorianStatistics`, and the metrics recorded beside them.
final class StatisticsCounters: Sendable {
    let rowsWritten = Atomic<Int>(0)
    let commits = Atomic<Int>(0)
    let droppedQueueFull = Atomic<Int>(0)
    let filteredOut = Atomic<Int>(0)
    let lostStorage = Atomic<Int>(0)
    let storageErrors = Atomic<Int>(0)
    let gaps = Atomic<Int>(0)
    let blocksWritten = Atomic<Int>(0)
    let pointsCompacted = Atomic<Int>(0)
    let blocksDropped = Atomic<Int>(0)
    let rowsDropped = Atomic<Int>(0)
    let metrics: HistorianMetrics

    init(metrics: HistorianMetrics) {
        self.metrics = metrics
    }

    /// A transaction of `rows` rows was committed in `nanoseconds`.
    func committed(rows: Int, nanoseconds: Int64) {
        rowsWritten.add(rows, ordering: .relaxed)
        commits.add(1, ordering: .relaxed)
        metrics.rows.increment(by: rows)
        metrics.commits.increment()
        metrics.commitSeconds.recordNanoseconds(max(nanoseconds, 0))
    }

    /// A gap was recorded, with `markers` gap-marker rows.
    func recordedGap(markers: Int) {
        gaps.add(1, ordering: .relaxed)
        rowsWritten.add(markers, ordering: .relaxed)
        metrics.gaps.increment()
        metrics.rows.increment(by: markers)
    }

    /// `count` samples were refused because the queue was full.
    func countQueueFull(_ count: Int) {
        droppedQueueFull.add(count, ordering: .relaxed)
        metrics.droppedQueueFull.increment(by: count)
    }

    /// `count` samples were lost to a storage error.
    func countLostStorage(_ count: Int) {
        lostStorage.add(count, ordering: .relaxed)
        metrics.droppedStorage.increment(by: count)
    }

    var snapshot: HistorianStatistics {
        var s = HistorianStatistics()
        s.rowsWritten = rowsWritten.load(ordering: .relaxed)
        s.commits = commits.load(ordering: .relaxed)
        s.droppedQueueFull = droppedQueueFull.load(ordering: .relaxed)
        s.filteredOut = filteredOut.load(ordering: .relaxed)
        s.lostStorage = lostStorage.load(ordering: .relaxed)
        s.storageErrors = storageErrors.load(ordering: .relaxed)
        s.gaps = gaps.load(ordering: .relaxed)
        s.blocksWritten = blocksWritten.load(ordering: .relaxed)
        s.pointsCompacted = pointsCompacted.load(ordering: .relaxed)
        s.blocksDropped = blocksDropped.load(ordering: .relaxed)
        s.rowsDropped = rowsDropped.load(ordering: .relaxed)
        return s
    }
}
