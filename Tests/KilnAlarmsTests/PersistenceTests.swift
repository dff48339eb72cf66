import Foundation
import KilnAlarms
import KilnCore
import KilnSQLite
import KilnTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The engine's state in a real SQLite file: written with its events and outbox rows in one
/// transaction, resumed after a restart.
@Suite struct PersistenceTests {
    static let high = "boiler-1/supply_temp/high"

    static func config(_ path: String) -> GatewayConfig {
        gateway(
            [temp(alarms: [AlarmDefinition(name: "high", limit: .above(85), severity: .major)])], historian: path,
            hooks: [HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:1/")])
    }

    /// Waits (≤ 60 s) until `condition` holds, blocking: for the engine's own thread, which needs
    /// no cooperative pool. Never asserts how long it took.
    static func waitFor(_ condition: () throws -> Bool) rethrows -> Bool {
        for _ in 0..<12_000 {
            if try condition() { return true }
            usleep(5_000)
        }
        return false
    }

    @Test func aRestartResumesTheActiveAlarmWithItsEpisodeAndNoNewActivation() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("kiln.sqlite")
        let clock = ManualClock(start: EpochInstant(microseconds: t0))
        let first = try AlarmRunner(config: Self.config(path), clock: clock, logger: quietLogger)
        try first.start()
        #expect(first.submit([good(90, at: t0)]))
        #expect(await waitUntil { first.list().first { $0.path == Self.high }?.active == true })
        first.stop()
        let db = try Connection(path: path)
        let episode = try #require(try db.text("SELECT episode FROM alarm_state WHERE path = '\(Self.high)'"))
        #expect(try db.scalar("SELECT count(*) FROM hook_outbox WHERE hook = 'ops'") == 1)
        #expect(try db.scalar("SELECT count(*) FROM alarm_history WHERE transition = 'activated'") == 1)
        #expect(try db.scalar("SELECT count(*) FROM alarm_engine") == 0)  // no heartbeat after the stop

        // Restart: still active, unacked, same episode; the same value again activates nothing.
        let second = try AlarmRunner(config: Self.config(path), clock: clock, logger: quietLogger)
        let resumed = try #require(second.list().first { $0.path == Self.high })
        #expect(resumed.state == .activeUnacknowledged)
        #expect(resumed.episode == episode)
        try second.start()
        #expect(second.submit([good(91, at: t0 + seconds(1))]))
        let ack = AlarmCommand(action: .ack, target: Self.high, note: "on it", by: "api:test")
        let result = await second.perform(ack)
        let events = try result.get()
        #expect(events.map(\.transition) == [.acknowledged])
        #expect(events.first?.episode == episode)
        #expect(events.first?.id == "evt_\(episode)_2")
        second.stop()
        #expect(try db.scalar("SELECT count(*) FROM alarm_history WHERE transition = 'activated'") == 1)
        #expect(try db.scalar("SELECT count(*) FROM hook_outbox") == 2)
        #expect(try db.text("SELECT state FROM alarm_state WHERE path = '\(Self.high)'") == "active_acknowledged")
        // The outbox body is the event, its id stable.
        let body = try db.prepare("SELECT body FROM hook_outbox ORDER BY id")
        var ids: [String] = []
        while try body.step() { ids.append(AlarmEvent(json: body.withBlob(0) { Array($0) })?.id ?? "?") }
        #expect(ids == ["evt_\(episode)_1", "evt_\(episode)_2"])
    }

    @Test func timersResumeAfterARestart() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("kiln.sqlite")
        let config = gateway(
            [temp(alarms: [AlarmDefinition(name: "high", limit: .above(85), onDelay: .seconds(30))])], historian: path)
        let store = try AlarmStore(path: path, hooks: [])
        let e1 = engine(config)
        _ = e1.feed([good(90, at: t0)])
        try store.writeAll(e1.records)
        // A new engine from the file: the on-delay counts from the first run's sample.
        let e2 = engine(config, restored: try store.load())
        #expect(e2.advance(to: t0 + seconds(29)).isEmpty)
        #expect(summary(e2.advance(to: t0 + seconds(30))) == ["activated \(Self.high)"])
    }

    @Test func withoutAHistorianTheEngineRunsInMemory() async throws {
        let config = gateway([temp(alarms: [AlarmDefinition(name: "high", limit: .above(85))])])
        let runner = try AlarmRunner(
            config: config, clock: ManualClock(start: EpochInstant(microseconds: t0)), logger: quietLogger)
        #expect(runner.path == nil)
        try runner.start()
        #expect(runner.submit([good(90, at: t0)]))
        #expect(await waitUntil { runner.list().first { $0.path == Self.high }?.active == true })
        let unknown = await runner.perform(AlarmCommand(action: .ack, target: "nope", by: "api:test"))
        #expect((try? unknown.get()) == nil)
        runner.stop()
    }

    @Test func theDoorbellRingsAfterACommitThatQueuedEvents() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let runner = try AlarmRunner(
            config: Self.config(dir.file("kiln.sqlite")), clock: ManualClock(start: EpochInstant(microseconds: t0)),
            logger: quietLogger)
        let before = runner.doorbell.generation
        try runner.start()
        #expect(runner.submit([good(90, at: t0)]))
        #expect(Self.waitFor { runner.doorbell.generation > before })
        runner.stop()
    }

    @Test func theGatewaysOwnAlarmIsRaisedPersistedAndResumed() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("kiln.sqlite")
        let clock = ManualClock(start: EpochInstant(microseconds: t0))
        let first = try AlarmRunner(config: Self.config(path), clock: clock, logger: quietLogger)
        try first.start()
        await first.setSystemAlarm("hook-ops", active: true, severity: .critical, reason: "hook ops answered 410 Gone")
        let raised = try #require(first.list().first { $0.path == "kiln/hook-ops" })
        #expect(raised.state == .activeUnacknowledged)
        #expect(raised.kind == .system)
        first.stop()
        let db = try Connection(path: path)
        let body = try db.prepare("SELECT body FROM hook_outbox WHERE event LIKE 'evt_%' ORDER BY id DESC LIMIT 1")
        #expect(try body.step())
        let event = try #require(AlarmEvent(json: body.withBlob(0) { Array($0) }))
        #expect(event.alarm == "kiln/hook-ops")
        #expect(event.severity == .critical)
        #expect(event.device == nil)
        #expect(event.message == "kiln/hook-ops activated: hook ops answered 410 Gone")
        // A restart keeps it (it is not in the config, yet not dropped), and it clears.
        let second = try AlarmRunner(config: Self.config(path), clock: clock, logger: quietLogger)
        #expect(second.list().first { $0.path == "kiln/hook-ops" }?.episode == event.episode)
        try second.start()
        await second.setSystemAlarm("hook-ops", active: false)
        #expect(second.list().first { $0.path == "kiln/hook-ops" }?.state == .returnedUnacknowledged)
        second.stop()
    }

    @Test func aCommitThatFailsIsRetriedWithNothingLost() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("kiln.sqlite")
        let runner = try AlarmRunner(
            config: Self.config(path), clock: ManualClock(start: EpochInstant(microseconds: t0)), logger: quietLogger)
        try runner.start()
        defer { runner.stop() }
        // Another writer holds the file's write lock past the engine's busy_timeout (5 s).
        let blocker = try Connection(path: path)
        try blocker.execute("BEGIN IMMEDIATE")
        #expect(runner.submit([good(90, at: t0)]))
        #expect(await waitUntil { runner.failedCommits >= 1 })
        try blocker.execute("COMMIT")
        #expect(runner.submit([good(80, at: t0 + seconds(1))]))
        #expect(await waitUntil { (try? blocker.scalar("SELECT count(*) FROM hook_outbox")) == 2 })
        let events = try blocker.prepare("SELECT transition FROM alarm_history ORDER BY id")
        var transitions: [String] = []
        while try events.step() { transitions.append(events.string(0) ?? "") }
        #expect(transitions == ["activated", "cleared"])
    }
}
