import KilnCore
import KilnSQLite
import Synchronization

/// A store that keeps rows in memory, for tests of the writer; `failing` makes every write throw
/// `SQLITE_FULL`, as a full disk would.
public final class InMemoryStore: HistorianStore {
    public struct Row: Sendable, Hashable {
        public var tag: Int64
        public var time: Int64
        public var value: Value?
        public var raw: Value?
        public var status: UInt32
    }

    private struct State {
        var tags: [TagDescriptor] = []
        var committed: [Row] = []
        var open: [Row]?
        var gaps: [Gap] = []
    }

    private let state = Mutex(State())
    /// While true, begin, insert and commit throw SQLITE_FULL.
    public let failing = Atomic<Bool>(false)

    public init() {}

    /// Committed rows, in commit order.
    public var rows: [Row] { state.withLock { $0.committed } }
    public var gaps: [Gap] { state.withLock { $0.gaps } }

    public func register(_ tags: [TagDescriptor]) throws(HistorianError) -> [Int64] {
        state.withLock { s in
            tags.map { tag in
                if let i = s.tags.firstIndex(of: tag) { return Int64(i + 1) }
                s.tags.append(tag)
                return Int64(s.tags.count)
            }
        }
    }

    private func check() throws(SQLiteError) {
        if failing.load(ordering: .relaxed) {
            throw SQLiteError(
                code: SQLiteError.Code.full, message: "database or disk is full", context: "in-memory store")
        }
    }

    public func begin() throws(SQLiteError) {
        try check()
        state.withLock { $0.open = [] }
    }

    public func insert(tag: Int64, rows: UnsafeBufferPointer<PendingRow>, texts: [String]) throws(SQLiteError) {
        try check()
        let converted = rows.map {
            Row(
                tag: tag, time: $0.time, value: $0.value.value(texts: texts), raw: $0.raw.value(texts: texts),
                status: $0.status)
        }
        state.withLock { $0.open?.append(contentsOf: converted) }
    }

    public func commit(seen: [TagSeen]) throws(SQLiteError) {
        try check()
        state.withLock { s in
            s.committed.append(contentsOf: s.open ?? [])
            s.open = nil
        }
    }

    public func rollback() {
        state.withLock { $0.open = nil }
    }

    public func recordGap(_ gap: Gap, status: UInt32) throws(SQLiteError) {
        try check()
        state.withLock { s in
            s.gaps.append(gap)
            for (tag, time) in gap.firstLost.sorted(by: { $0.key < $1.key }) {
                s.open?.append(Row(tag: tag, time: time, value: nil, raw: nil, status: status))
            }
        }
    }

    public func maintain(now: Int64, policy: RetentionPolicy, budget: Duration) throws(SQLiteError) -> MaintenanceReport
    {
        MaintenanceReport()
    }
}
