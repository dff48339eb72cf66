import Foundation
import KilnCore
import KilnSQLite
import KilnTestSupport
import Synchronization
import Testing

@testable import KilnHistorian

/// A real SQLiteStore whose file may grow no further while `full` is set, through SQLite's own
/// size limit (`PRAGMA max_page_count`): writes then fail with SQLITE_FULL exactly as on a full disk.
final class LimitedStore: HistorianStore {
    let inner: SQLiteStore
    let full = Atomic<Bool>(false)
    private let applied = Mutex<Bool>(false)

    init(path: String) throws { inner = try SQLiteStore(path: path) }

    /// Runs on the writer thread, so the connection is never used by two threads at once.
    private func applyLimit() {
        let want = full.load(ordering: .relaxed)
        applied.withLock { current in
            guard current != want else { return }
            let pages = want ? (try? inner.connection.scalar("PRAGMA page_count")) ?? 1 : 1_073_741_823
            try? inner.connection.execute("PRAGMA max_page_count = \(pages)")
            current = want
        }
    }

    func register(_ tags: [TagDescriptor]) throws(HistorianError) -> [Int64] { try inner.register(tags) }
    func openRun(now: Int64) throws(HistorianError) -> [RunRecord] { try inner.openRun(now: now) }
    func closeRun(now: Int64) throws(SQLiteError) {
        applyLimit()
        try inner.closeRun(now: now)
    }
    func begin() throws(SQLiteError) {
        applyLimit()
        try inner.begin()
    }
    func insert(tag: Int64, rows: UnsafeBufferPointer<PendingRow>, texts: [String]) throws(SQLiteError) {
        try inner.insert(tag: tag, rows: rows, texts: texts)
    }
    func commit(seen: [TagSeen]) throws(SQLiteError) { try inner.commit(seen: seen) }
    func rollback() { inner.rollback() }
    func recordGap(_ gap: Gap, status: UInt32) throws(SQLiteError) { try inner.recordGap(gap, status: status) }
    func maintain(now: Int64, policy: RetentionPolicy, budget: Duration) throws(SQLiteError) -> MaintenanceReport {
        try inner.maintain(now: now, policy: policy, budget: budget)
    }
}

struct DiskFullTests {
    /// Waits until `condition` holds (the writer works on its own thread).
    func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    @Test(.timeLimit(.minutes(1)))
    func aFullDiskLosesSamplesVisiblyAndWritingResumesWhenSpaceReturns() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("full.db")
        let store = try LimitedStore(path: db)
        var options = HistorianWriter.Options(flush: .milliseconds(50), retryInterval: .milliseconds(100))
        options.maintenanceInterval = .seconds(3600)
        let writer = HistorianWriter(store: store, tags: testTags(), options: options, logger: quietLogger)
        try writer.start()
        let reader = try HistoryReader(path: db)
        let tag = try reader.tag("boiler-1/supply_temp")
        // 2,000 rows a batch: more than the free space left in the file's last pages.
        func batch(_ k: Int64) -> [Sample] {
            (0..<2000).map { sample(0, jan1 + (k * 2000 + Int64($0)) * 1000, .double(Double(k))) }
        }

        writer.submitWaiting(batch(0))
        #expect(eventually { writer.statistics.rowsWritten == 2000 })

        // The disk fills: writes fail, samples are counted as lost, nothing blocks.
        store.full.store(true, ordering: .relaxed)
        for k in 1...3 {
            #expect(writer.submit(batch(Int64(k))))
            usleep(60_000)
        }
        #expect(eventually { writer.statistics.lostStorage == 6000 })
        #expect(writer.statistics.storageErrors == 1)

        // Space returns: the writer records the gap, then goes on.
        store.full.store(false, ordering: .relaxed)
        usleep(150_000)  // past the retry interval: samples arriving before it are still dropped
        writer.submitWaiting(batch(4))
        #expect(eventually { writer.statistics.gaps == 1 && writer.statistics.rowsWritten >= 4000 })
        writer.stop()

        let points = try reader.points(of: tag, from: jan1, to: jan1 + hour)
        // Batch 0, the gap marker at the first lost sample, then batch 4.
        #expect(points.count == 2000 + 1 + 2000)
        let marker = points[2000]
        #expect(marker.time == jan1 + 2000 * 1000)
        #expect(marker.value == nil)
        #expect(marker.status == StatusCode.badResourceUnavailable.rawValue)
        #expect(points[2001].time == jan1 + 8000 * 1000)
        let gap = try reader.connection.prepare(#"SELECT start, "end", lost, reason FROM gaps"#)
        #expect(try gap.step())
        #expect(gap.int64(0) == jan1 + 2000 * 1000)
        #expect(gap.int64(2) == 6000)
        #expect(gap.string(3)?.contains("full") == true)
        #expect(try !gap.step())
        #expect(try runTool(["sqlite3", db, "PRAGMA integrity_check"]).out == "ok\n")
    }

    @Test func storageFullErrorsSayWhatToDo() {
        let error = SQLiteError(code: 13, message: "database or disk is full", context: "committing samples")
        #expect(error.isStorageFull)
        #expect(error.description.contains("free disk space"))
    }
}

extension DiskFullTests {
    /// A real full disk: a 3 MiB tmpfs that fills up, then grows (`mount -o remount,size=`).
    @Test(.timeLimit(.minutes(1)))
    func aRealFullFileSystemThenSpaceReturns() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let mountPoint = dir.file("fs")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try runTool(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "this test mounts a small tmpfs and needs root: \(mounted.err)")
        defer { _ = try? runTool(["umount", mountPoint]) }

        let db = mountPoint + "/h.db"
        let store = try SQLiteStore(path: db)
        var options = HistorianWriter.Options(flush: .milliseconds(50), retryInterval: .milliseconds(100))
        options.maintenanceInterval = .seconds(3600)
        let writer = HistorianWriter(store: store, tags: testTags(), options: options, logger: quietLogger)
        try writer.start()
        var k: Int64 = 0
        func batch() -> [Sample] {
            defer { k += 1 }
            return (0..<2000).map { sample(0, jan1 + (k * 2000 + Int64($0)) * 1000, .double(Double(k) + 0.5)) }
        }
        // Fill the file system.
        let deadline = Date().addingTimeInterval(30)
        while writer.statistics.lostStorage == 0, Date() < deadline {
            writer.submitWaiting(batch())
            usleep(5_000)
        }
        #expect(writer.statistics.storageErrors == 1)
        #expect(writer.statistics.lostStorage > 0)
        // Polling would go on: submitting never blocks while the disk is full.
        for _ in 0..<5 { #expect(writer.submit(batch())) }

        // Space returns.
        try #require(try runTool(["mount", "-o", "remount,size=64m", mountPoint]).status == 0)
        usleep(150_000)
        let before = writer.statistics.rowsWritten
        writer.submitWaiting(batch())
        let resumed = Date().addingTimeInterval(10)
        while writer.statistics.rowsWritten < before + 2000, Date() < resumed { usleep(20_000) }
        #expect(writer.statistics.gaps == 1)
        #expect(writer.statistics.rowsWritten >= before + 2000)
        writer.stop()

        let reader = try HistoryReader(path: db)
        #expect(try reader.connection.scalar("SELECT count(*) FROM gaps") == 1)
        #expect(
            try reader.connection.scalar(
                "SELECT count(*) FROM samples WHERE status = \(StatusCode.badResourceUnavailable.rawValue)") == 1)
        #expect(try runTool(["sqlite3", db, "PRAGMA integrity_check"]).out == "ok\n")
    }
}
