import Foundation
import KilnCore
import KilnTestSupport
import Testing

@testable import KilnHistorian

struct CompactionTests {
    /// Three hours of one float tag with awkward values, an int tag and a string tag.
    func history() -> [[Sample]] {
        let awkward: [Double] = [-0.0, 0.0, 1e-300, -1e300, 82.15, 48.300000000000004, .infinity, 3, -7.5]
        var batches: [[Sample]] = []
        for k in 0..<(3 * 3600 / 5) {
            let t = jan1 + Int64(k) * 5 * second + Int64(k % 7) * 113
            var batch = [
                sample(
                    0, t, .double(awkward[k % awkward.count] + (k % 2 == 0 ? 0 : Double(k) / 1024)),
                    raw: .double(Double(Float(k)) / 3)),
                sample(1, t, .uint(UInt64(12_873 + k / 720))),
                sample(2, t, .bool(k % 100 < 50)),
            ]
            if k % 500 == 0 { batch.append(sample(3, t, .string("KB-4000"))) }
            if k % 97 == 0 { batch[0] = sample(0, t, nil, raw: nil, status: .badCommunicationError) }
            if k % 89 == 0 { batch[0].status = .uncertainSensorNotAccurate }
            batches.append(batch)
        }
        return batches
    }

    @Test func compactedBlocksReadBackBitForBitAndRawRowsAreGone() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("c.db")
        try writeThroughWriter(db, batches: history())
        let reader = try HistoryReader(path: db)
        let all = try reader.tags()
        var before: [String: [HistoryPoint]] = [:]
        for tag in all { before[tag.path] = try reader.points(of: tag, from: jan1 - hour, to: jan1 + 4 * hour) }

        let store = try SQLiteStore(path: db)
        // Raw window 1 h, now = 3.5 h after the start: the first two hours are compacted.
        let policy = RetentionPolicy(rawWindow: hour, retention: nil)
        let report = try store.maintain(now: jan1 + 3 * hour + hour / 2, policy: policy, budget: .seconds(60))
        #expect(report.finished)
        #expect(report.blocksWritten == 3 * 2)  // three numeric tags, two windows each
        #expect(try store.connection.scalar("SELECT count(*) FROM blocks") == 6)
        // The three tags were sampled at the same instants: one shared time column per window.
        #expect(try store.connection.scalar("SELECT count(*) FROM timecols") == 2)
        #expect(
            try store.connection.scalar(
                "SELECT count(*) FROM samples WHERE time < \(jan1 + 2 * hour) AND tag IN (SELECT id FROM tags WHERE type <> 'string')"
            ) == 0)
        // Text stays raw.
        #expect(
            try store.connection.scalar(
                "SELECT count(*) FROM samples WHERE tag = (SELECT id FROM tags WHERE tag = 'model')") == 5)

        for tag in all {
            let after = try reader.points(of: tag, from: jan1 - hour, to: jan1 + 4 * hour)
            let expected = before[tag.path]!
            #expect(after.count == expected.count, "\(tag.path)")
            for (a, b) in zip(after, expected) {
                #expect(a.time == b.time && a.status == b.status)
                #expect(sameBits(a.value, b.value?.number) || a.value == b.value, "\(tag.path) at \(a.time)")
                #expect(sameBits(a.raw, b.raw?.number) || a.raw == b.raw, "\(tag.path) at \(a.time)")
            }
        }
        // A range starting and ending inside blocks and raw rows alike.
        let temp = try reader.tag("boiler-1/supply_temp")
        let mid = try reader.points(of: temp, from: jan1 + hour + 17 * second, to: jan1 + 2 * hour + 33 * second)
        #expect(
            mid
                == before[temp.path]!.filter {
                    $0.time >= jan1 + hour + 17 * second && $0.time < jan1 + 2 * hour + 33 * second
                })
        // The edges used by aggregates reach across blocks.
        #expect(
            try reader.point(of: temp, before: jan1 + hour)?.time
                == before[temp.path]!.last { $0.time < jan1 + hour }?.time)
        #expect(
            try reader.point(of: temp, atOrAfter: jan1 + hour + 1)?.time
                == before[temp.path]!.first { $0.time >= jan1 + hour + 1 }?.time)
    }

    @Test func lateRowsMergeIntoTheirBlock() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("c.db")
        try writeThroughWriter(
            db, batches: [(0..<100).map { sample(0, jan1 + Int64($0) * second, .double(Double($0))) }])
        let store = try SQLiteStore(path: db)
        let policy = RetentionPolicy(rawWindow: hour, retention: nil)
        _ = try store.maintain(now: jan1 + 3 * hour, policy: policy, budget: .seconds(60))
        // A late sample for the compacted hour, and one replacing a compacted point.
        try store.connection.execute(
            """
            INSERT INTO samples (tag, time, value, raw, status) VALUES (1, \(jan1 + 1500 * second), 1500.5, 1500.5, 0);
            INSERT INTO samples (tag, time, value, raw, status) VALUES (1, \(jan1 + 10 * second), -10, -10, 0);
            """)
        let reader = try HistoryReader(path: db)
        let tag = try reader.tag("boiler-1/supply_temp")
        let beforeMerge = try reader.points(of: tag, from: jan1, to: jan1 + hour)
        #expect(beforeMerge.count == 101)
        #expect(beforeMerge[10].value == .integer(-10))
        // The next maintenance pass of the same writer finds and merges them.
        let again = try store.maintain(now: jan1 + 3 * hour, policy: policy, budget: .seconds(60))
        #expect(again.pointsCompacted == 2)
        #expect(again.blocksWritten == 1)
        let merged = try reader.points(of: tag, from: jan1, to: jan1 + hour)
        #expect(merged.count == 101)
        #expect(merged[10].value == .number(-10))
        #expect(merged.last?.value == .number(1500.5))
        #expect(try store.connection.scalar("SELECT count(*) FROM samples") == 0)
        #expect(try store.connection.scalar("SELECT count FROM blocks") == 101)
    }

    @Test func integersBeyondTwoToThe53StayRaw() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("c.db")
        try writeThroughWriter(db, batches: [[sample(1, jan1, .uint(1 << 60)), sample(1, jan1 + second, .uint(1))]])
        let store = try SQLiteStore(path: db)
        let report = try store.maintain(
            now: jan1 + 3 * hour, policy: RetentionPolicy(rawWindow: hour, retention: nil), budget: .seconds(60))
        #expect(report.blocksWritten == 0)
        #expect(try store.connection.scalar("SELECT count(*) FROM samples") == 2)
        let reader = try HistoryReader(path: db)
        #expect(
            try reader.points(of: reader.tag("boiler-1/run_hours"), from: jan1, to: jan1 + hour).first?.value
                == .integer(1 << 60))
    }

    @Test func retentionDropsWholeBlocksAndOldRows() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("r.db")
        try writeThroughWriter(db, batches: history())
        let store = try SQLiteStore(path: db)
        // Compact everything, then keep only the last 90 minutes.
        _ = try store.maintain(
            now: jan1 + 5 * hour, policy: RetentionPolicy(rawWindow: hour, retention: nil), budget: .seconds(60))
        #expect(try store.connection.scalar("SELECT count(*) FROM blocks") == 9)
        let report = try store.maintain(
            now: jan1 + 3 * hour + hour / 2, policy: RetentionPolicy(rawWindow: hour, retention: hour + hour / 2),
            budget: .seconds(60))
        // Cutoff 2 h: the blocks of hours 0 and 1 go, whole; hour 2 stays.
        #expect(report.blocksDropped == 6)
        #expect(try store.connection.scalar("SELECT min(start) FROM blocks") == jan1 + 2 * hour)
        #expect(try store.connection.scalar("SELECT min(start) FROM timecols") == jan1 + 2 * hour)
        // The string tag's raw rows before the cutoff go too.
        #expect(report.rowsDropped == 3)
        let reader = try HistoryReader(path: db)
        let temp = try reader.tag("boiler-1/supply_temp")
        #expect(try reader.points(of: temp, from: jan1, to: jan1 + 2 * hour).isEmpty)
        #expect(try reader.points(of: temp, from: jan1 + 2 * hour, to: jan1 + 3 * hour).count == 720)
        #expect(try runTool(["sqlite3", db, "PRAGMA integrity_check"]).out == "ok\n")
    }
}
