import Foundation
import KilnCore
import KilnTestSupport
import Testing

@testable import KilnHistorian

struct IngestTests {
    @Test func everyKindOfValueIsStoredWithItsStatusAndReadBack() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("h.db")
        let t = jan1
        let stats = try writeThroughWriter(
            db,
            batches: [
                [
                    sample(0, t, .double(81.5), raw: .double(81.75)),
                    sample(1, t, .uint(12_873)),
                    sample(2, t, .bool(true)),
                    sample(3, t, .string("KB-4000, \"Steam\"")),
                ],
                [
                    sample(0, t + second, nil, raw: nil, status: .badTimeout),
                    sample(1, t + second, .int(-5)),
                    sample(2, t + second, .bool(false)),
                ],
            ])
        #expect(stats.rowsWritten == 7)
        #expect(stats.droppedQueueFull == 0)

        let reader = try HistoryReader(path: db)
        let temp = try reader.points(of: reader.tag("boiler-1/supply_temp"), from: t, to: t + hour)
        #expect(
            temp == [
                HistoryPoint(time: t, value: .number(81.5), raw: .number(81.75), status: 0),
                HistoryPoint(time: t + second, value: nil, raw: nil, status: StatusCode.badTimeout.rawValue),
            ])
        #expect(
            try reader.points(of: reader.tag("boiler-1/run_hours"), from: t, to: t + hour).map(\.value) == [
                .integer(12_873), .integer(-5),
            ])
        #expect(
            try reader.points(of: reader.tag("boiler-1/burner_on"), from: t, to: t + hour).map(\.value) == [
                .integer(1), .integer(0),
            ])
        #expect(
            try reader.points(of: reader.tag("boiler-1/model"), from: t, to: t + hour).map(\.value) == [
                .text("KB-4000, \"Steam\"")
            ])
        let info = try reader.tag("boiler-1/supply_temp")
        #expect(info.firstSeen == t)
        #expect(info.lastSeen == t + second)
        #expect(info.descriptor.unit == "degC")
        #expect(info.descriptor.type == "float32")
    }

    @Test func commitsEveryNRowsAndEveryFlushInterval() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("h.db")
        let store = try SQLiteStore(path: db)
        var options = HistorianWriter.Options(flush: .milliseconds(200), maxBatchRows: 1000)
        options.maintenanceInterval = .seconds(3600)
        let writer = HistorianWriter(store: store, tags: testTags(), options: options, logger: quietLogger)
        try writer.start()
        // 2,500 rows at once: two commits by row count, then the rest by time.
        writer.submitWaiting((0..<2500).map { sample(0, jan1 + Int64($0) * second, .double(Double($0))) })
        let reader = try HistoryReader(path: db)
        let deadline = Date().addingTimeInterval(5)
        var stored: Int64 = 0
        while Date() < deadline {
            stored = try reader.connection.scalar("SELECT count(*) FROM samples") ?? 0
            if stored == 2500 { break }
            usleep(20_000)
        }
        // The last 500 rows arrive by the flush interval, long before stop().
        #expect(stored == 2500)
        #expect(writer.statistics.commits == 3)
        writer.stop()
    }

    @Test func aFullQueueIsCountedAndNeverBlocks() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = InMemoryStore()
        let options = HistorianWriter.Options(queueCapacity: 10)
        let writer = HistorianWriter(store: store, tags: testTags(), options: options, logger: quietLogger)
        // Not started: nothing drains the queue.
        #expect(writer.submit((0..<10).map { sample(0, jan1 + Int64($0), .double(1)) }))
        #expect(!writer.submit([sample(0, jan1 + 99, .double(1)), sample(0, jan1 + 100, .double(1))]))
        #expect(writer.statistics.droppedQueueFull == 2)
    }

    @Test func theSqlite3CommandLineReadsRawRowsWithPlainSQL() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("h.db")
        try writeThroughWriter(
            db,
            batches: [
                [
                    sample(0, jan1, .double(20.25)),
                    sample(0, jan1 + second, .double(20.5), status: .uncertainLastUsableValue),
                ]
            ])
        let sql = """
            SELECT t.device, t.tag, s.time, s.value, s.raw, s.status FROM samples s JOIN tags t ON t.id = s.tag ORDER BY s.time;
            SELECT ts FROM history ORDER BY time LIMIT 1;
            PRAGMA journal_mode;
            PRAGMA integrity_check;
            """
        let result = try runTool(["sqlite3", "-readonly", db, sql])
        #expect(result.status == 0, Comment(rawValue: result.err))
        #expect(
            result.out == """
                boiler-1|supply_temp|\(jan1)|20.25|20.25|0
                boiler-1|supply_temp|\(jan1 + second)|20.5|20.5|\(StatusCode.uncertainLastUsableValue.rawValue)
                2026-01-01T00:00:00.000Z
                wal
                ok

                """)
    }

    @Test func schemaVersionIsRecordedAndReopeningKeepsTagIds() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("h.db")
        try writeThroughWriter(db, batches: [[sample(0, jan1, .double(1))]])
        // A second run with one more tag: the old ids stay, the new tag is added.
        var tags = testTags()
        tags[0].append(TagDescriptor(device: "boiler-1", tag: "extra", type: "int16"))
        try writeThroughWriter(
            db, tags: tags, batches: [[sample(0, jan1 + second, .double(2)), sample(4, jan1, .int(3))]])
        let reader = try HistoryReader(path: db)
        #expect(try reader.connection.scalar("PRAGMA user_version") == Schema.version)
        #expect(try reader.tags().count == 5)
        #expect(try reader.points(of: reader.tag("boiler-1/supply_temp"), from: jan1, to: jan1 + hour).count == 2)
    }

    @Test func aFileFromANewerKilnIsRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("h.db")
        _ = try SQLiteStore(path: db)
        try runTool(["sqlite3", db, "PRAGMA user_version = 99"])
        #expect(throws: HistorianError.self) { _ = try SQLiteStore(path: db) }
        #expect(throws: HistorianError.self) { _ = try HistoryReader(path: db) }
    }
}

extension IngestTests {
    /// A reader in the middle of a long read (an export holds its snapshot) never stalls commits.
    @Test(.timeLimit(.minutes(1)))
    func aReaderMidExportNeverBlocksTheWriter() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("h.db")
        try writeThroughWriter(db, batches: [(0..<5000).map { sample(0, jan1 + Int64($0) * second, .double(1)) }])
        let store = try SQLiteStore(path: db)
        let writer = HistorianWriter(
            store: store, tags: testTags(), options: HistorianWriter.Options(flush: .milliseconds(50)),
            logger: quietLogger)
        try writer.start()
        defer { writer.stop() }
        let reader = try HistoryReader(path: db)
        var seen = 0
        try reader.forEachPoint(of: reader.tag("boiler-1/supply_temp"), from: jan1, to: jan1 + 2 * hour) { _ in
            seen += 1
            guard seen == 10 else { return }
            // The read transaction is open: the writer must still commit, promptly.
            writer.submitWaiting((5000..<6000).map { sample(0, jan1 + Int64($0) * second, .double(2)) })
            let deadline = Date().addingTimeInterval(3)
            while writer.statistics.rowsWritten < 1000, Date() < deadline { usleep(10_000) }
            #expect(writer.statistics.rowsWritten == 1000)
        }
        // The reader's snapshot predates those commits.
        #expect(seen == 5000)
        #expect(
            try reader.points(of: reader.tag("boiler-1/supply_temp"), from: jan1, to: jan1 + 2 * hour).count == 6000)
    }
}
