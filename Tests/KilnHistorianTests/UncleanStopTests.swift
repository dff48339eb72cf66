import Foundation
import KilnCore
import KilnSeries
import KilnTestSupport
import Testing

@testable import KilnHistorian

/// A run that did not stop cleanly (kill -9, a disk full until shutdown) is closed at its last
/// committed sample when the next run starts, which records the gap; the time after that sample
/// never exports as Good.
struct UncleanStopTests {
    /// Starts and stops a writer on `db` with no samples: what `kiln run` does at its start.
    func restart(_ db: String) throws {
        try writeThroughWriter(db, batches: [])
    }

    /// Every aggregate row over `[from, to)` at 1 s that starts at or after `uncovered`.
    func rowsAfter(_ uncovered: Int64, tag: String, db: String, from: Int64, to: Int64) throws -> [AggregateRow] {
        let reader = try HistoryReader(path: db)
        return try reader.aggregates(
            of: reader.tag(tag), from: from, to: to, every: second, aggregates: [.last, .twa, .interpolated]
        ).filter { $0.start >= uncovered }
    }

    func expectNotCovered(_ rows: [AggregateRow], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(!rows.isEmpty, sourceLocation: sourceLocation)
        for row in rows {
            #expect(row.worstStatus == Coverage.status, "\(row)", sourceLocation: sourceLocation)
            #expect(row.goodFraction == 0, "\(row)", sourceLocation: sourceLocation)
            #expect(row[.twa] == nil && row[.interpolated] == nil, "\(row)", sourceLocation: sourceLocation)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aKilledRunIsClosedAtItsLastCommittedSampleOnTheNextStart() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("killed.db")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try kilnBenchBinary())
        process.arguments = [
            "historian", "ingest", "--db", db, "--tags", "10", "--points", "0", "--rate", "1000",
            "--flush", "500ms", "--period", "10ms",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(2_500_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        let lastSample = try #require(try HistoryReader(path: db).connection.scalar("SELECT max(time) FROM samples"))
        var runs = try HistoryReader(path: db).runs()
        #expect(runs.count == 1 && runs[0].end == nil && runs[0].last == lastSample, "open, up to its last commit")
        try restart(db)

        runs = try HistoryReader(path: db).runs()
        #expect(runs.count == 2)
        #expect(runs[0].ended == "crash" && runs[0].end == lastSample)
        #expect(runs[1].ended == "stop")
        let gaps = try runTool(["sqlite3", db, #"SELECT start, "end" >= start, lost FROM gaps"#])
        #expect(gaps.out == "\(lastSample)|1|-1\n")
        expectNotCovered(
            try rowsAfter(
                lastSample + 1, tag: "bench/t0", db: db, from: lastSample - 5 * second, to: lastSample + 5 * second))
        #expect(try runTool(["sqlite3", db, "PRAGMA integrity_check"]).out == "ok\n")
    }

    /// A real full disk (a 3 MiB tmpfs) that stays full until the writer stops.
    @Test(.timeLimit(.minutes(1)))
    func aDiskFullUntilShutdownIsRecordedAtTheNextStart() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let mountPoint = dir.file("fs")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try runTool(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "this test mounts a small tmpfs and needs root: \(mounted.err)")
        defer { _ = try? runTool(["umount", mountPoint]) }

        let db = mountPoint + "/h.db"
        let store = try SQLiteStore(path: db)
        // No retry before the stop: on a busy machine a retry 100 ms after the failure could find
        // the room a rolled-back transaction freed and record the gap mid-run.
        var options = HistorianWriter.Options(flush: .milliseconds(50), retryInterval: .seconds(3600))
        options.maintenanceInterval = .seconds(3600)
        let writer = HistorianWriter(store: store, tags: testTags(), options: options, logger: quietLogger)
        try writer.start()
        var k: Int64 = 0
        func batch() -> [Sample] {
            defer { k += 1 }
            return (0..<2000).map { sample(0, jan1 + (k * 2000 + Int64($0)) * 1000, .double(Double(k) + 0.5)) }
        }
        let deadline = Date().addingTimeInterval(30)
        while writer.statistics.lostStorage == 0, Date() < deadline {
            writer.submitWaiting(batch())
            usleep(5_000)
        }
        try #require(writer.statistics.lostStorage > 0, "the file system never filled")
        // Whatever room the failed transaction's rollback left goes to a filler file, so the
        // disk really stays full until the stop (else the stop could write the gap).
        fillUp(mountPoint + "/filler")
        for _ in 0..<3 { writer.submit(batch()) }
        // Shutdown while still full. SQLite reuses the room its WAL already holds, so the stop
        // may still write the small gap row (then the run ends "stop" and the gap counts what was
        // lost); when it cannot, the next start writes it ("disk stayed full"). Either way the
        // lost time must export as Bad with no value.
        writer.stop()
        let recordedAtStop = writer.statistics.gaps > 0
        #expect(writer.statistics.gaps <= 1)
        let lostFrom = jan1 + (k - 1) * 2000 * 1000

        try #require(try runTool(["mount", "-o", "remount,size=64m", mountPoint]).status == 0)
        let lastSample = try #require(try HistoryReader(path: db).connection.scalar("SELECT max(time) FROM samples"))
        try restart(db)

        let runs = try HistoryReader(path: db).runs()
        #expect(runs.count == 2)
        let gaps = try runTool(["sqlite3", db, #"SELECT start, lost, reason LIKE '%disk stayed full%' FROM gaps"#])
        if recordedAtStop {
            #expect(runs[0].ended == "stop")
            let fields = gaps.out.split(separator: "|")
            #expect(fields.count == 3 && Int(fields[1]) ?? 0 > 0, "one gap, counting the lost samples: \(gaps.out)")
            #expect(Int64(fields.first ?? "") ?? .max <= lastSample + 1, "\(gaps.out)")
        } else {
            #expect(runs[0].ended == "crash" && runs[0].end == lastSample)
            #expect(gaps.out == "\(lastSample)|-1|1\n")
        }
        // The lost samples' time exports as Bad with no value, never Good.
        let lost = try rowsAfter(
            lastSample + 1, tag: "boiler-1/supply_temp", db: db, from: jan1, to: lostFrom + 2 * second)
        #expect(!lost.isEmpty)
        for row in lost {
            #expect(StatusCode(rawValue: row.worstStatus).isBad, "\(row)")
            #expect(row.goodFraction == 0, "\(row)")
            #expect(row[.twa] == nil && row[.interpolated] == nil, "\(row)")
        }
        #expect(try runTool(["sqlite3", db, "PRAGMA integrity_check"]).out == "ok\n")
    }

    /// Writes `path` until the file system has no byte left.
    private func fillUp(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xA5, count: 65_536)
        var size = chunk.count
        while size >= 1 {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, size) }
            if n <= 0 { size /= 2 }
        }
    }
}
