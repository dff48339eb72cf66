import Foundation
import KilnCore
import KilnRemediation
import KilnSQLite
import KilnTestSupport
import Testing

/// `kiln remediation list|approve|reject|audit` as a real process on a real file, and the audit
/// chain broken by an edit with the `sqlite3` CLI.
@Suite struct RemediationCLITests {
    /// A gateway file with the remediation tables and two runs waiting for approval, as the
    /// engine queues them.
    static func fileWithWaitingRuns(_ dir: TempDir) throws -> String {
        let path = dir.file("kiln.sqlite")
        let db = try Connection(path: path)
        _ = try Migrator([RemediationSchema.migrations]).migrate(db)
        for (i, episode) in ["ep_1_1_1", "ep_2_1_1"].enumerated() {
            let s = try db.prepare(
                """
                INSERT INTO remediation_runs (rule, host, alarm, episode, attempt, state, mode, argv, created,
                    persisted_at, due)
                VALUES ('restart-loop', 'chiller-ctl', 'chiller-1/supply_temp/high', ?1, 1, 'awaiting_approval',
                    'approve', ?2, ?3, ?3, ?3)
                """)
            s.bind(1, episode)
            s.bind(2, AuditEntry.json(["sudo", "systemctl", "restart", "chiller-loop@chiller-1", "it's; $(id)"]))
            s.bind(3, Int64(1_700_000_000_000_000 + i))
            try s.run()
        }
        return path
    }

    @Test func approveAndRejectAreRecordedAndChecked() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = try Self.fileWithWaitingRuns(dir)

        let list = try await runKilnBinary(["remediation", "list", "--db", path])
        #expect(list.status == 0)
        #expect(list.stdout.contains("#1  awaiting_approval  restart-loop -> chiller-ctl"))
        #expect(list.stdout.contains(#""it's; $(id)""#))

        let approved = try await runKilnBinary(["remediation", "approve", "1", "--db", path, "--note", "seen it"])
        #expect(approved.status == 0, "\(approved.stderr)")
        #expect(approved.stdout.contains("approved run 1"))
        let again = try await runKilnBinary(["remediation", "approve", "1", "--db", path])
        #expect(again.status == 1)
        #expect(again.stderr.contains("run 1 is not waiting for approval: it is queued"))

        let rejected = try await runKilnBinary(["remediation", "reject", "2", "--db", path, "--note", "not now"])
        #expect(rejected.status == 0, "\(rejected.stderr)")
        let unknown = try await runKilnBinary(["remediation", "approve", "99", "--db", path])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no remediation run 99; none is waiting for approval"))
        let garbage = try await runKilnBinary(["remediation", "reject", "1;DROP", "--db", path])
        #expect(garbage.status == 1)
        #expect(garbage.stderr.contains("is not a run ID"))

        let db = try Connection(path: path)
        let runs = try RunQueueOperators.recent(db: db, limit: 10)
        #expect(runs.first { $0.id == 1 }?.state == .queued)
        #expect(runs.first { $0.id == 2 }?.outcome == .rejected)
        let entries = try AuditLog.entries(db)
        #expect(entries.map(\.outcome) == [.approved, .rejected])
        #expect(entries[0].by?.hasPrefix("cli:") == true)
        #expect(entries[0].detail == "seen it")
        #expect(entries[1].argv == ["sudo", "systemctl", "restart", "chiller-loop@chiller-1", "it's; $(id)"])

        let verified = try await runKilnBinary(["remediation", "audit", "--db", path, "--verify"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("audit chain holds: 2 entries"))
        #expect(verified.stdout.contains("1  ") && verified.stdout.contains("approved  rule=restart-loop"))
    }

    @Test func anEditWithTheSQLiteCLIBreaksTheChainAtThatEntry() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = try Self.fileWithWaitingRuns(dir)
        #expect(try await runKilnBinary(["remediation", "approve", "1", "--db", path]).status == 0)
        #expect(try await runKilnBinary(["remediation", "reject", "2", "--db", path]).status == 0)
        let edit = try await runProgram(
            "/usr/bin/sqlite3", [path, "UPDATE remediation_audit SET by = 'cli:someone-else' WHERE seq = 2"])
        #expect(edit.status == 0, "sqlite3 must be installed (tools/setup.sh --tests): \(edit.stderr)")
        let broken = try await runKilnBinary(["remediation", "audit", "--db", path, "--verify"])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("audit chain BROKEN at entry 2"))
        #expect(broken.stderr.contains("1 entries before it hold"))
    }

    @Test func aFileWithoutTheQueueIsAClearError() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("empty.sqlite")
        _ = try Connection(path: path)
        let r = try await runKilnBinary(["remediation", "list", "--db", path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("has no remediation queue yet"))
        let missing = try await runKilnBinary(["remediation", "audit", "--db", dir.file("nope.sqlite")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no such file"))
    }
}

extension RemediationCLITests {
    @Test func runDryRunRendersTheExactCommandAndRecordsIt() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = try Self.fileWithWaitingRuns(dir)
        let key = try dir.write("id_ed25519", "not read by a dry run\n")
        chmod(key, 0o600)
        _ = try dir.write("known_hosts", "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKs6\n")
        _ = try dir.write(
            "map.yaml",
            """
            devices:
              - name: chiller-1
                host: 127.0.0.1
                port: 1502
                tags:
                  - name: supply_temp
                    register: holding
                    address: 0
                    type: float32
                    alarms:
                      - { name: high, above: 80 }
            """)
        let config = try dir.write(
            "kiln.yaml",
            """
            devices: [map.yaml]
            historian: { path: kiln.sqlite }
            remediation:
              mode: dry-run
              hosts:
                - { name: chiller-ctl, address: 127.0.0.1, port: 2222, user: svc_automation,
                    identity_file: id_ed25519, known_hosts: known_hosts }
              rules:
                - name: restart-loop
                  when: { alarm: chiller-1/supply_temp/high, persists: 2m }
                  host: chiller-ctl
                  command: ["sudo", "systemctl", "restart", "chiller-loop@{device}", "it's {tag}"]
                  verify: { tag: chiller-1/supply_temp, below: 80, within: 10m }
            """)
        let refused = try await runKilnBinary(["remediation", "run", "restart-loop", config])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("only renders (--dry-run)"))
        let r = try await runKilnBinary(["remediation", "run", "restart-loop", config, "--dry-run"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#"argv: ["sudo","systemctl","restart","chiller-loop@chiller-1","it's supply_temp"]"#))
        #expect(
            r.stdout.contains(
                #"remote command line: 'sudo' 'systemctl' 'restart' 'chiller-loop@chiller-1' 'it'\''s supply_temp'"#))
        #expect(r.stdout.contains("'StrictHostKeyChecking=yes'"))
        #expect(r.stdout.contains("nothing ran"))
        let entries = try AuditLog.entries(try Connection(path: path))
        #expect(entries.last?.outcome == .dryRun)
        #expect(entries.last?.argv == ["sudo", "systemctl", "restart", "chiller-loop@chiller-1", "it's supply_temp"])
        let unknown = try await runKilnBinary(["remediation", "run", "restart", config, "--dry-run"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains(#"no rule "restart"; rules: restart-loop"#))
    }
}
