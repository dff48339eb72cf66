import Foundation
import KilnRemediation
import KilnSQLite
import KilnTestSupport
import Testing

@Suite struct AuditLogTests {
    func openLog(_ dir: TempDir) throws -> Connection {
        let db = try Connection(path: dir.file("kiln.sqlite"))
        _ = try Migrator([RemediationSchema.migrations]).migrate(db)
        return db
    }

    func append(_ db: Connection, _ n: Int) throws {
        for i in 1...n {
            try db.execute("BEGIN IMMEDIATE")
            try AuditLog.append(
                AuditEntry(
                    time: Int64(i) * 1_000_000, run: Int64(i), rule: "restart", episode: "ep_\(i)", host: "chiller-ctl",
                    fingerprint: "SHA256:abc", argv: ["systemctl", "restart", "loop@\(i)"], started: Int64(i),
                    ended: Int64(i) + 5, exitCode: 0,
                    stdout: CapturedOutput(head: Array("ok \(i)\n".utf8), total: 5),
                    outcome: .succeeded, by: "kiln"),
                to: db)
            try db.execute("COMMIT")
        }
    }

    @Test func anIntactChainVerifies() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try openLog(dir)
        try append(db, 5)
        let v = try AuditLog.verify(db)
        #expect(v.holds)
        #expect(v.count == 5)
        let entries = try AuditLog.entries(db)
        #expect(entries.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(entries[0].previousHash == AuditLog.genesis)
        #expect(entries[1].previousHash == entries[0].hash)
        #expect(entries[2].argv == ["systemctl", "restart", "loop@3"])
        #expect(entries[2].stdout.head == Array("ok 3\n".utf8))
    }

    @Test func anEditedFieldBreaksTheChainAtThatEntry() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try openLog(dir)
        try append(db, 5)
        try db.execute("UPDATE remediation_audit SET exit_code = 1 WHERE seq = 3")
        let v = try AuditLog.verify(db)
        #expect(v.brokenAt == 3)
        #expect(v.count == 2)
    }

    @Test func anEditedOutcomeToAnUnknownWordStillBreaks() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try openLog(dir)
        try append(db, 3)
        try db.execute("UPDATE remediation_audit SET outcome = 'fine' WHERE seq = 2")
        #expect(try AuditLog.verify(db).brokenAt == 2)
    }

    @Test func aDeletedEntryBreaksTheChainWhereItWas() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try openLog(dir)
        try append(db, 5)
        try db.execute("DELETE FROM remediation_audit WHERE seq = 2")
        #expect(try AuditLog.verify(db).brokenAt == 2)
    }

    @Test func aDeletedTailShowsAgainstTheHead() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try openLog(dir)
        try append(db, 5)
        try db.execute("DELETE FROM remediation_audit WHERE seq >= 4")
        let v = try AuditLog.verify(db)
        #expect(v.brokenAt == 4)
        #expect(v.count == 3)
    }

    @Test func aRehashedEntryWithoutItsSuccessorsBreaksAtTheNext() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try openLog(dir)
        try append(db, 4)
        // Replace entry 2's hash with another valid-looking one: entry 2 no longer matches.
        try db.execute("UPDATE remediation_audit SET hash = '\(String(repeating: "a", count: 64))' WHERE seq = 2")
        #expect(try AuditLog.verify(db).brokenAt == 2)
    }

    @Test func anEmptyLogVerifies() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try openLog(dir)
        let v = try AuditLog.verify(db)
        #expect(v.holds)
        #expect(v.count == 0)
    }
}
