import KilnCore
import KilnSQLite

/// Where the writer puts samples: the SQLite file in production, an in-memory store in tests.
///
/// Shaped like swift-log's `LogHandler`: a protocol, the real implementation (`SQLiteStore`) and
/// an in-memory one (`InMemoryStore`). A store is used by one thread at a time (the writer's).
public protocol HistorianStore: AnyObject, Sendable {
    /// Records the tags (creating rows as needed) and returns their ids, in the same order.
    func register(_ tags: [TagDescriptor]) throws(HistorianError) -> [Int64]

    func begin() throws(SQLiteError)
    /// Stores one tag's rows (replacing any of the same tag and time) inside the open transaction.
    /// `texts` holds the strings that `.text` cells point at.
    func insert(tag: Int64, rows: UnsafeBufferPointer<PendingRow>, texts: [String]) throws(SQLiteError)
    /// Commits, first recording each touched tag's first and last sample times.
    func commit(seen: [TagSeen]) throws(SQLiteError)
    /// Abandons the open transaction, if any.
    func rollback()

    /// Records an interval the writer could not store: one row in `gaps`, and per tag a sample
    /// with no value and status `status` at the time of its first lost sample, so that queries
    /// and aggregates show the interval as bad. Runs inside the open transaction.
    func recordGap(_ gap: Gap, status: UInt32) throws(SQLiteError)

    /// Records that a gateway run starts at `now` (a `runs` row), first closing any run that a
    /// previous process left open (killed, crashed, or stopped while the disk was full) at its
    /// last committed sample, with a gap from there to `now`. Returns the runs it closed.
    func openRun(now: Int64) throws(HistorianError) -> [RunRecord]
    /// Records a clean stop at `now`, after the last commit; the run then covers up to `now`.
    func closeRun(now: Int64) throws(SQLiteError)

    /// Starts and stops whatever the store runs beside the writer (background checkpoints).
    func startBackgroundWork()
    func stopBackgroundWork()

    /// Compacts and enforces retention for at most `budget`, in its own short transactions.
    func maintain(now: Int64, policy: RetentionPolicy, budget: Duration) throws(SQLiteError) -> MaintenanceReport
}

extension HistorianStore {
    public func openRun(now: Int64) throws(HistorianError) -> [RunRecord] { [] }
    public func closeRun(now: Int64) throws(SQLiteError) {}
    public func startBackgroundWork() {}
    public func stopBackgroundWork() {}
}

/// A tag's first and last sample times in a committed batch.
public struct TagSeen: Sendable, Hashable {
    public var tag: Int64
    public var first: Int64
    public var last: Int64

    public init(tag: Int64, first: Int64, last: Int64) {
        self.tag = tag
        self.first = first
        self.last = last
    }
}

/// An interval the writer could not store.
public struct Gap: Sendable, Hashable {
    public var start: Int64
    public var end: Int64
    public var lost: Int
    public var reason: String
    /// Per tag id, the time of its first lost sample.
    public var firstLost: [Int64: Int64]

    public init(start: Int64, end: Int64, lost: Int, reason: String, firstLost: [Int64: Int64]) {
        self.start = start
        self.end = end
        self.lost = lost
        self.reason = reason
        self.firstLost = firstLost
    }
}

/// How long raw rows and blocks live.
public struct RetentionPolicy: Sendable, Hashable {
    /// Raw rows older than this (µs) are compacted into blocks.
    public var rawWindow: Int64
    /// Blocks (and rows) older than this (µs) are dropped; nil keeps everything.
    public var retention: Int64?

    public init(rawWindow: Int64, retention: Int64?) {
        self.rawWindow = rawWindow
        self.retention = retention
    }

    public init(_ config: HistorianConfig) {
        self.init(
            rawWindow: config.rawWindow.nanoseconds / 1000, retention: config.retention.map { $0.nanoseconds / 1000 })
    }
}

/// What one maintenance pass did.
public struct MaintenanceReport: Sendable, Hashable {
    public var blocksWritten = 0
    public var pointsCompacted = 0
    public var blocksDropped = 0
    public var rowsDropped = 0
    /// False when the budget ran out with work left.
    public var finished = true

    public init() {}
}
