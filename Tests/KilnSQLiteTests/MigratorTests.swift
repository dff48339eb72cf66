import Foundation
import KilnSQLite
import KilnTestSupport
import Testing

/// The shared migration record on real SQLite files, read back with the `sqlite3` shell.
struct MigratorTests {
    static let historian = steps(
        "historian",
        [
            "CREATE TABLE samples (tag INTEGER, time INTEGER, value);",
            "CREATE TABLE runs (id INTEGER PRIMARY KEY, start INTEGER);",
        ])
    static let alarms = steps("alarms", ["CREATE TABLE alarm_state (tag TEXT PRIMARY KEY, state TEXT);"])

    @Test func aNewFileGetsEveryStepInOrderAndEachIsRecorded() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("a.db")
        let applied = try Migrator([Self.historian, Self.alarms]).migrate(Connection(path: path))
        #expect(applied.map { "\($0.module) \($0.version)" } == ["historian 1", "historian 2", "alarms 1"])
        #expect(
            try sqlite3(path, "SELECT module, version, applied > 0 FROM kiln_migrations ORDER BY module, version;")
                == "alarms|1|1\nhistorian|1|1\nhistorian|2|1")
        #expect(
            try sqlite3(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name;")
                == "alarm_state\nkiln_migrations\nruns\nsamples")
        // Opening again applies nothing and records nothing more.
        #expect(try Migrator([Self.historian, Self.alarms]).migrate(Connection(path: path)).isEmpty)
        #expect(try sqlite3(path, "SELECT count(*) FROM kiln_migrations;") == "3")
    }

    @Test func aModuleAddedLaterAddsOnlyItsOwnSteps() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("a.db")
        try Migrator([Self.historian]).migrate(Connection(path: path))
        try sqlite3(path, "INSERT INTO samples VALUES (1, 10, 2.5);")
        let grown =
            Self.historian + [Migration(module: "historian", version: 3, sql: "ALTER TABLE runs ADD ended TEXT;")]
        let applied = try Migrator([grown, Self.alarms]).migrate(Connection(path: path))
        #expect(applied.map { "\($0.module) \($0.version)" } == ["historian 3", "alarms 1"])
        #expect(try sqlite3(path, "SELECT value FROM samples;") == "2.5")
        #expect(
            try sqlite3(path, "SELECT module, max(version) FROM kiln_migrations GROUP BY module ORDER BY module;")
                == "alarms|1\nhistorian|3")
    }

    @Test func aFileNewerThanTheCodeIsRefusedAndLeftUnchanged() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("a.db")
        try Migrator([Self.historian]).migrate(Connection(path: path))
        // A newer Kiln recorded historian 3 and alarms' first step.
        try sqlite3(path, "INSERT INTO kiln_migrations VALUES ('historian', 3, 0);")
        let before = try sqlite3(path, "SELECT sql FROM sqlite_master ORDER BY name;")
        let error = try #require(throws: MigrationError.self) {
            try Migrator([Self.historian, Self.alarms]).migrate(Connection(path: path))
        }
        #expect(error.code == .newerThanCode)
        #expect(error.module == "historian")
        #expect(error.message.contains("newer Kiln (historian schema 3, this build knows 2)"))
        // Nothing was applied, not even the alarms' step the file lacks.
        #expect(try sqlite3(path, "SELECT sql FROM sqlite_master ORDER BY name;") == before)
        #expect(try sqlite3(path, "SELECT count(*) FROM kiln_migrations WHERE module = 'alarms';") == "0")
        #expect(throws: MigrationError.self) { try Migrator([Self.historian]).check(Connection(path: path)) }
    }

    @Test func aModuleTheCodeDoesNotKnowIsLeftAlone() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("a.db")
        // A later build added alarms; this one knows only the historian and still opens the file.
        try Migrator([Self.historian, Self.alarms]).migrate(Connection(path: path))
        #expect(try Migrator([Self.historian]).migrate(Connection(path: path)).isEmpty)
        try Migrator([Self.historian]).check(Connection(path: path))
    }

    @Test func aFailingStepRollsBackTheWholeMigration() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("a.db")
        let broken = Self.historian + [Migration(module: "historian", version: 3, sql: "ALTER TABLE nowhere ADD x;")]
        let error = try #require(throws: MigrationError.self) { try Migrator([broken]).migrate(Connection(path: path)) }
        #expect(error.code == .failed)
        #expect(error.message.contains("historian version 3"))
        #expect(error.sqlite != nil)
        // Steps 1 and 2 ran in the same transaction: none of them, nor the record, is left.
        #expect(try sqlite3(path, "SELECT count(*) FROM sqlite_master;") == "0")
    }

    @Test func aFileFromBeforeTheRecordCountsItsUserVersionAsApplied() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("old.db")
        // As Kiln wrote files before the record: the historian's steps, the version in user_version.
        try sqlite3(path, "CREATE TABLE samples (tag INTEGER, time INTEGER, value); PRAGMA user_version = 1;")
        let migrator = try Migrator([Self.historian, Self.alarms], userVersionModule: "historian")
        #expect(try migrator.recordedVersions(Connection(path: path)) == ["historian": 1])
        let applied = try migrator.migrate(Connection(path: path))
        #expect(applied.map { "\($0.module) \($0.version)" } == ["historian 2", "alarms 1"])
        #expect(
            try sqlite3(path, "SELECT module, version, applied IS NULL FROM kiln_migrations ORDER BY module, version;")
                == "alarms|1|0\nhistorian|1|1\nhistorian|2|0")
        // user_version follows the historian, so a Kiln from before the record refuses newer files.
        #expect(try sqlite3(path, "PRAGMA user_version;") == "2")
    }

    @Test func aReadOnlyCheckTellsOlderFromNewer() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("a.db")
        try Migrator([Self.historian]).migrate(Connection(path: path))
        let grown = Self.historian + [Migration(module: "historian", version: 3, sql: "SELECT 1;")]
        let error = try #require(throws: MigrationError.self) {
            try Migrator([grown]).check(Connection(path: path, readOnly: true))
        }
        #expect(error.code == .needsUpgrade)
        try Migrator([Self.historian]).check(Connection(path: path, readOnly: true))
    }

    @Test func aMalformedListIsRefusedBeforeTouchingAFile() {
        let gap = [Migration(module: "m", version: 1, sql: ""), Migration(module: "m", version: 3, sql: "")]
        #expect(throws: MigrationError.self) { try Migrator([gap]) }
        let mixed = [Migration(module: "m", version: 1, sql: ""), Migration(module: "n", version: 2, sql: "")]
        #expect(throws: MigrationError.self) { try Migrator([mixed]) }
        #expect(throws: MigrationError.self) { try Migrator([Self.alarms, Self.alarms]) }
        #expect(throws: MigrationError.self) { try Migrator([Self.alarms], userVersionModule: "historian") }
    }
}
