import Foundation
import KilnCore
import KilnTestSupport
import Testing

@testable import KilnHistorian

/// Files written before the shared migration record (KilnSQLite's `kiln_migrations`) kept the
/// historian's schema in `PRAGMA user_version`; they open, keep their history and take new runs.
struct SchemaUpgradeTests {
    @Test func aVersion3FileFromBeforeTheRecordOpensAndKeepsWorking() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("v3.db")
        // The file as the previous Kiln left it: its three steps' SQL, user_version 3, one closed run.
        let setup =
            Schema.steps.joined(separator: "\n") + """
                PRAGMA user_version = 3;
                INSERT INTO tags (device, tag, type, first_seen, last_seen) VALUES ('boiler-1', 'supply_temp', 'float32', \(jan1), \(jan1 + second));
                INSERT INTO samples VALUES (1, \(jan1), 1.5, 1.5, 0), (1, \(jan1 + second), 2.5, 2.5, 0);
                INSERT INTO runs (start, "end", first, last, ended) VALUES (\(jan1), \(jan1 + second), \(jan1), \(jan1 + second), 'stop');
                """
        #expect(try runTool(["sqlite3", db], stdin: setup).status == 0)

        try writeThroughWriter(db, batches: [[sample(0, jan1 + hour, .double(3.5))]])

        let reader = try HistoryReader(path: db)
        let points = try reader.points(of: reader.tag("boiler-1/supply_temp"), from: jan1, to: jan1 + 2 * hour)
        #expect(points.count == 3)
        #expect(try reader.runs().count == 2)
        // Its three steps are recorded as applied before the record (no time), none re-run.
        #expect(
            try runTool([
                "sqlite3", db, "SELECT module, version, applied IS NULL FROM kiln_migrations ORDER BY version",
            ])
            .out == "historian|1|1\nhistorian|2|1\nhistorian|3|1\n")
        #expect(try runTool(["sqlite3", db, "PRAGMA user_version"]).out == "3\n")
        #expect(try runTool(["sqlite3", db, "PRAGMA integrity_check"]).out == "ok\n")
    }

    @Test func aRecordNewerThanThisBuildIsRefusedByWriterAndReader() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = dir.file("h.db")
        _ = try SQLiteStore(path: db)
        let next = Schema.version + 1
        #expect(
            try runTool(["sqlite3", db, "INSERT INTO kiln_migrations VALUES ('historian', \(next), 0)"]).status == 0)
        let error = try #require(throws: HistorianError.self) { _ = try SQLiteStore(path: db) }
        #expect(error.message.contains("newer Kiln"))
        #expect(throws: HistorianError.self) { _ = try HistoryReader(path: db) }
    }
}
