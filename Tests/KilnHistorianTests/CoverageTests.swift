import Foundation
import KilnCore
import KilnTestSupport
import Synchronization
import Testing

@testable import KilnHistorian

/// Time the historian did not cover — between runs, after the last sample, a full disk, the
/// future — exports as BadNoData with no value, never Good.
struct CoverageTests {
    /// supply_temp every 10 s over [from, to] (both included), value 50 + minutes.
    func samples(from: Int64, to: Int64) -> [[Sample]] {
        let step = Int(10 * second)
        return stride(from: from, through: to, by: step).map { (t: Int64) -> [Sample] in
            [sample(0, t, Value.double(50 + Double(t - jan1) / 60e6))]
        }
    }

    /// Run 1 from 00:00 to 00:12:30 (its last sample at 00:10), run 2 from 00:40 to 00:50: a 30-minute gap between them.
    func twoRuns(_ dir: TempDir) throws -> String {
        let db = dir.file("runs.db")
        try writeThroughWriter(
            db, batches: samples(from: jan1, to: jan1 + 600 * second),
            clock: RunClock(start: jan1, stop: jan1 + 750_000_000))
        try writeThroughWriter(
            db, batches: samples(from: jan1 + 2400 * second, to: jan1 + 3000 * second),
            clock: RunClock(start: jan1 + 2400 * second, stop: jan1 + 3000 * second))
        return db
    }

    func export(_ arguments: [String]) throws -> [[String]] {
        let result = try runTool([try kilnBinary(), "export"] + arguments)
        #expect(result.status == 0, Comment(rawValue: result.err))
        return result.out.split(separator: "\r\n").dropFirst().map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }

    @Test func theGapBetweenTwoRunsAndTheTimeAfterTheLastSampleAreNeverGood() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try twoRuns(dir)
        let runs = try HistoryReader(path: db).runs()
        #expect(runs.map(\.ended) == ["stop", "stop"])
        #expect(runs.map(\.end) == [jan1 + 750_000_000, jan1 + 3000 * second])

        // ts,device,tag,last,twa,interpolated,count,status,good_fraction
        let rows = try export([
            "--db", db, "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-01T01:30:00Z", "--every", "5m", "--agg",
            "last,twa,interpolated,count", "--tag", "boiler-1/supply_temp",
        ])
        #expect(rows.count == 18)
        func row(_ minute: Int) -> [String] {
            rows.first { $0[0] == String(format: "2026-01-01T%02d:%02d:00.000000Z", minute / 60, minute % 60) } ?? []
        }
        for minute in [0, 5, 40, 45] {
            #expect(row(minute)[7] == "Good" && Double(row(minute)[8]) == 1, "\(row(minute))")
        }
        // 00:10: covered for 2.5 of its 5 minutes: good_fraction counts only covered time.
        #expect(row(10)[7] == "BadNoData")
        #expect(Double(row(10)[8]) == 0.5)
        #expect(row(10)[3] == "60" && row(10)[4] == "60", "the value held while covered: \(row(10))")
        // The gap: no value carried over it, not interpolated across it, never Good.
        for minute in stride(from: 15, through: 35, by: 5) {
            #expect(row(minute).dropFirst(3) == ["", "", "", "0", "BadNoData", "0"], "\(row(minute))")
        }
        // 00:50: the last sample at 00:50:00, then nothing: its value holds for no time.
        #expect(row(50)[3] == "100" && row(50)[4] == "" && row(50)[7] == "BadNoData" && Double(row(50)[8]) == 0)
        // After the last sample, to the end of the range.
        for minute in stride(from: 55, through: 85, by: 5) {
            #expect(row(minute).dropFirst(3) == ["", "", "", "0", "BadNoData", "0"], "\(row(minute))")
        }

        // Raw: a row with no value and BadNoData where each uncovered stretch begins.
        let raw = try export([
            "--db", db, "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-01T01:30:00Z", "--tag",
            "boiler-1/supply_temp",
        ])
        #expect(raw.count == 61 + 1 + 61 + 1)
        let marks = raw.filter { $0[5] == "BadNoData" }
        #expect(marks.map { $0[0] } == ["2026-01-01T00:12:30.000000Z", "2026-01-01T00:50:00.000000Z"])
        #expect(marks.allSatisfy { $0[3] == "" && $0[4] == "" })
        #expect(raw.filter { $0[5] != "BadNoData" }.allSatisfy { $0[5] == "Good" })
        // The mark at 00:50:00 follows the stored sample of the same time.
        #expect(raw.last?[0] == "2026-01-01T00:50:00.000000Z" && raw.last?[5] == "BadNoData")
        #expect(raw[raw.count - 2][0] == "2026-01-01T00:50:00.000000Z" && raw[raw.count - 2][5] == "Good")

        // Plain SQL sees the runs.
        let sql = try runTool(["sqlite3", db, #"SELECT start, "end", ended FROM runs ORDER BY id"#])
        #expect(
            sql.out
                == "\(jan1)|\(jan1 + 750_000_000)|stop\n\(jan1 + 2400 * second)|\(jan1 + 3000 * second)|stop\n")
    }

    @Test func bucketsAreAlignedToTheClockAndOffsetShiftsThem() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try twoRuns(dir)
        let base = [
            "--db", db, "--from", "2026-01-01T00:07:00Z", "--to", "2026-01-01T00:37:00Z", "--agg", "count",
            "--tag", "boiler-1/supply_temp",
        ]
        let aligned = try export(base + ["--every", "15m"])
        // Buckets at multiples of 15 minutes since the epoch; the first holds [00:07, 00:15).
        #expect(
            aligned.map { $0[0] } == [
                "2026-01-01T00:00:00.000000Z", "2026-01-01T00:15:00.000000Z", "2026-01-01T00:30:00.000000Z",
            ])
        #expect(aligned.map { $0[3] } == ["19", "0", "0"])
        let shifted = try export(base + ["--every", "15m", "--offset", "5m"])
        #expect(
            shifted.map { $0[0] } == [
                "2026-01-01T00:05:00.000000Z", "2026-01-01T00:20:00.000000Z", "2026-01-01T00:35:00.000000Z",
            ])
        let back = try export(base + ["--every", "15m", "--offset", "-10m"])
        #expect(
            back.map { $0[0] } == [
                "2026-01-01T00:05:00.000000Z", "2026-01-01T00:20:00.000000Z", "2026-01-01T00:35:00.000000Z",
            ])
        // A rerun from another start gives the same buckets.
        let rerun = try export([
            "--db", db, "--from", "2026-01-01T00:03:10Z", "--to", "2026-01-01T00:20:00Z", "--agg", "count", "--every",
            "15m", "--tag", "boiler-1/supply_temp",
        ])
        #expect(rerun.map { $0[0] } == ["2026-01-01T00:00:00.000000Z", "2026-01-01T00:15:00.000000Z"])
        let bad = try runTool([try kilnBinary(), "export", "--db", db, "--from", "2026-01-01", "--offset", "5m"])
        #expect(bad.status == 1 && bad.err.contains("--offset needs --every"), Comment(rawValue: bad.err))
    }

    @Test func intervalsInTheFutureAreNotCovered() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("now.db")
        let now = WallClock.epochMicroseconds()
        // A run still open (as while kiln runs): it covers up to its last committed sample.
        let store = try SQLiteStore(path: db)
        _ = try store.openRun(now: now - 60 * second)
        _ = try store.register(testTags().flatMap { $0 })
        try store.begin()
        let rows = (0..<60).map {
            PendingRow(time: now - 60 * second + Int64($0) * second, value: .init(1.0), raw: .init(1.0), status: 0)
        }
        try rows.withUnsafeBufferPointer { try store.insert(tag: 1, rows: $0, texts: []) }
        try store.commit(seen: [TagSeen(tag: 1, first: rows.first!.time, last: rows.last!.time)])

        let reader = try HistoryReader(path: db)
        let tag = try reader.tag("boiler-1/supply_temp")
        let aggregates = try reader.aggregates(
            of: tag, from: now - 60 * second, to: now + 3600 * second, every: 10 * second, aggregates: [.last, .twa])
        let future = aggregates.filter { $0.start >= now }
        #expect(future.count >= 359)
        #expect(future.allSatisfy { $0.worstStatus == Coverage.status && $0.goodFraction == 0 && $0[.twa] == nil })
        #expect(aggregates.filter { $0.end <= now - 2 * second }.allSatisfy { $0.worstStatus == 0 })
    }

    @Test func exportStreamsEmptyIntervalsOneAtATime() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try twoRuns(dir)
        let reader = try HistoryReader(path: db)
        let tag = try reader.tag("boiler-1/supply_temp")
        // 3.6 billion one-microsecond intervals: only the rows pulled are ever built.
        struct Enough: Error {}
        var seen: [Int64] = []
        #expect(throws: Enough.self) {
            try reader.forEachAggregate(
                of: tag, from: jan1 + 3000 * second, to: jan1 + 4 * hour, every: 1, aggregates: [.last]
            ) { row in
                seen.append(row.start)
                if seen.count == 10_000 { throw Enough() }
            }
        }
        #expect(seen == (0..<10_000).map { jan1 + 3000 * second + Int64($0) })

        // The binary writes every row: 200 ms at 1 µs.
        let out = dir.file("out.csv")
        let result = try runTool([
            try kilnBinary(), "export", "--db", db, "--from", "2026-01-01T00:49:59.9Z", "--to",
            "2026-01-01T00:50:00.1Z", "--every", "1us", "--agg", "last", "--tag", "boiler-1/supply_temp", "--output",
            out,
        ])
        #expect(result.status == 0, Comment(rawValue: result.err))
        let text = try String(contentsOfFile: out, encoding: .utf8)
        let lines = text.split(separator: "\r\n")
        #expect(lines.count == 200_001)
        #expect(lines[1].hasPrefix("2026-01-01T00:49:59.900000Z,boiler-1,supply_temp,,Good,1"))
        #expect(lines[100_001].hasPrefix("2026-01-01T00:50:00.000000Z,boiler-1,supply_temp,100,BadNoData,0"))
        #expect(lines[200_000].hasPrefix("2026-01-01T00:50:00.099999Z,boiler-1,supply_temp,,BadNoData,0"))
    }

    @Test func anOlderFileMigratesWithItsHistoryAsOneRun() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("v2.db")
        let setup =
            Schema.steps[0] + Schema.steps[1] + """
                PRAGMA user_version = 2;
                INSERT INTO tags (device, tag, type, first_seen, last_seen) VALUES ('b', 't', 'float32', \(jan1), \(jan1 + hour));
                INSERT INTO samples VALUES (1, \(jan1), 1.5, 1.5, 0), (1, \(jan1 + hour), 2.5, 2.5, 0);
                """
        #expect(try runTool(["sqlite3", db], stdin: setup).status == 0)
        _ = try SQLiteStore(path: db)
        let reader = try HistoryReader(path: db)
        #expect(try reader.connection.scalar("PRAGMA user_version") == 3)
        let runs = try reader.runs()
        #expect(runs.count == 1)
        #expect(runs.first?.covered == [jan1..<(jan1 + hour), jan1..<(jan1 + hour)])
        #expect(runs.first?.ended == "migrated")
        // A file with no history migrates to no run.
        let empty = dir.file("empty.db")
        #expect(
            try runTool(
                ["sqlite3", empty], stdin: Schema.steps[0] + Schema.steps[1] + "PRAGMA user_version = 2;"
            ).status == 0)
        _ = try SQLiteStore(path: empty)
        #expect(try HistoryReader(path: empty).runs().isEmpty)
    }
}
