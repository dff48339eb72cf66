import Foundation
import KilnAlarms
import KilnCore
import KilnSQLite
import KilnTestSupport
import Testing

/// `kiln alarms` on a real file, as a real process: with no engine running (the CLI applies the
/// command itself) and with one running (the engine applies it from the command table).
@Suite struct AlarmsCLITests {
    static let high = "boiler-1/supply_temp/high"

    /// The `kiln` executable built with the tests.
    static func kilnBinary() throws -> String { try builtBinary("kiln") }

    static func kiln(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let dir = TempDir("kiln-cli")
        defer { dir.cleanup() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try kilnBinary())
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: dir.file("out"), contents: nil)
        _ = FileManager.default.createFile(atPath: dir.file("err"), contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("out")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.file("err")))
        try process.run()
        process.waitUntilExit()
        let out = (try? String(contentsOfFile: dir.file("out"), encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: dir.file("err"), encoding: .utf8)) ?? ""
        return (process.terminationStatus, out, err)
    }

    /// A file whose high alarm is active (written by an engine that then stopped).
    static func fileWithAnActiveAlarm(_ dir: TempDir) throws -> String {
        let path = dir.file("kiln.sqlite")
        let runner = try AlarmRunner(
            config: gateway([temp(alarms: [AlarmDefinition(name: "high", limit: .above(85))])], historian: path),
            clock: WallClock(), logger: quietLogger)
        try runner.start()
        #expect(runner.submit([good(90, at: WallClock.epochMicroseconds())]))
        #expect(PersistenceTests.waitFor { runner.list().first { $0.path == high }?.active == true })
        runner.stop()
        return path
    }

    @Test func commandsApplyToTheFileWhenNoEngineRuns() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try Self.fileWithAnActiveAlarm(dir)
        let list = try Self.kiln(["alarms", "list", "--active", "--db", db])
        #expect(list.status == 0)
        #expect(list.out.contains("\(Self.high)  active_unacknowledged  warning"))
        #expect(!list.out.contains("boiler-1/comm"))

        let ack = try Self.kiln(["alarms", "ack", Self.high, "--note", "looking", "--db", db])
        #expect(ack.status == 0, "\(ack.err)")
        #expect(ack.out.contains("acknowledged \(Self.high): active_acknowledged"))
        let again = try Self.kiln(["alarms", "ack", Self.high, "--db", db])
        #expect(again.status == 1)
        #expect(again.err.contains("nothing to acknowledge"))

        let tooLong = try Self.kiln(["alarms", "shelve", Self.high, "--for", "25h", "--reason", "work", "--db", db])
        #expect(tooLong.status == 1)
        #expect(tooLong.err.contains("the longest shelve is 24h"))
        let noReason = try Self.kiln(["alarms", "shelve", Self.high, "--for", "2h", "--db", db])
        #expect(noReason.status != 0)
        let shelve = try Self.kiln(["alarms", "shelve", Self.high, "--for", "2h", "--reason", "swap", "--db", db])
        #expect(shelve.status == 0, "\(shelve.err)")
        #expect(shelve.out.contains("shelved \(Self.high): shelved"))
        let unshelve = try Self.kiln(["alarms", "unshelve", Self.high, "--db", db])
        #expect(unshelve.status == 0, "\(unshelve.err)")

        let unknown = try Self.kiln(["alarms", "ack", "boiler-1/supply_tmp/high", "--db", db])
        #expect(unknown.status == 1)
        #expect(unknown.err.contains("no alarm or episode 'boiler-1/supply_tmp/high'"))
        #expect(unknown.err.contains("'\(Self.high)'"))

        let history = try Self.kiln(["alarms", "history", "--tag", "boiler-1/supply_temp", "--db", db])
        #expect(history.status == 0)
        let transitions = history.out.split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true)[1]
        }
        #expect(transitions == ["activated", "acknowledged", "shelved", "unshelved"])
        #expect(history.out.contains("by=cli:"))
        // No hooks known with --db: the events wait for the engine to queue them.
        let c = try Connection(path: db)
        #expect(try c.scalar("SELECT count(*) FROM alarm_history WHERE queued = 0") == 3)
        let missing = try Self.kiln(["alarms", "list", "--db", dir.file("none.sqlite")])
        #expect(missing.status == 1)
    }

    @Test func aRunningEngineAppliesTheCommandAndQueuesItsEvents() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let db = try Self.fileWithAnActiveAlarm(dir)
        // An engine that knows a hook, so the CLI's events reach the outbox through it.
        let runner = try AlarmRunner(
            config: gateway(
                [temp(alarms: [AlarmDefinition(name: "high", limit: .above(85))])], historian: db,
                hooks: [HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:1/")]),
            clock: WallClock(), logger: quietLogger)
        try runner.start()
        defer { runner.stop() }
        let c = try Connection(path: db)
        #expect(PersistenceTests.waitFor { (try? c.scalar("SELECT count(*) FROM alarm_engine")) == 1 })
        let ack = try Self.kiln(["alarms", "ack", Self.high, "--db", db])
        #expect(ack.status == 0, "\(ack.err)")
        #expect(ack.out.contains("applied by the running gateway"))
        #expect(runner.list().first { $0.path == Self.high }?.state == .activeAcknowledged)
        #expect(try c.scalar("SELECT count(*) FROM hook_outbox WHERE event LIKE '%_2'") == 1)
        let refused = try Self.kiln(["alarms", "unshelve", Self.high, "--db", db])
        #expect(refused.status == 1)
        #expect(refused.err.contains("is not shelved"))
    }

    @Test func aGatewayConfigNamesTheFile() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        _ = try dir.write(
            "map.yaml",
            """
            devices:
              - name: boiler-1
                host: 127.0.0.1
                port: 1502
                tags:
                  - name: supply_temp
                    register: holding
                    address: 0
                    type: float32
                    range: [-50, 500]
            """)
        let config = try dir.write(
            "kiln.yaml",
            """
            devices:
              - map.yaml
            historian:
              path: kiln.sqlite
            """)
        // The engine's first run wrote the alarms (the built-in ones: this map has no alarms:).
        let runner = try AlarmRunner(
            config: gateway([temp()], historian: dir.file("kiln.sqlite")), clock: WallClock(), logger: quietLogger)
        try runner.start()
        #expect(runner.submit([badSensor(at: WallClock.epochMicroseconds())]))
        #expect(
            PersistenceTests.waitFor {
                runner.list().first { $0.path == "boiler-1/supply_temp/sensor" }?.active == true
            })
        runner.stop()
        let list = try Self.kiln(["alarms", "list", config])
        #expect(list.status == 0, "\(list.err)")
        #expect(list.out.contains("boiler-1/supply_temp/sensor  active_unacknowledged  minor"))
        #expect(list.out.contains("boiler-1/comm  normal  major"))
        let shelve = try Self.kiln(
            ["alarms", "shelve", "boiler-1/supply_temp/sensor", "--for", "1h", "--reason", "probe swap", config])
        #expect(shelve.status == 0, "\(shelve.err)")
        // With the config, the hooks are known: the event is queued now, not left for the engine.
        let c = try Connection(path: dir.file("kiln.sqlite"))
        #expect(try c.scalar("SELECT count(*) FROM alarm_history WHERE queued = 0") == 0)
        #expect(try c.scalar("SELECT count(*) FROM alarm_history WHERE transition = 'shelved'") == 1)
        let both = try Self.kiln(["alarms", "list", config, "--db", dir.file("kiln.sqlite")])
        #expect(both.status == 1)
        let none = try Self.kiln(["alarms", "list"])
        #expect(none.status == 1)
        #expect(none.err.contains("give a gateway config or --db"))
    }
}
