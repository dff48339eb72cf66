import Foundation
import KilnAlarms
import KilnCore
import KilnGateway
import KilnSQLite
import KilnTestSupport
import Testing

/// The engine as a sink of a real gateway: a device that does not answer (a closed loopback
/// port) raises one comm alarm, not one per tag, and no sensor alarm.
@Suite struct GatewayAlarmTests {
    @Test func aDeadDeviceRaisesExactlyOneCommAlarm() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("kiln.sqlite")
        let tags = (0..<4).map {
            temp("t\($0)", address: $0 * 2, alarms: [AlarmDefinition(name: "high", limit: .above(85))])
        }
        let config = gateway(
            tags, historian: path, hooks: [HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:1/")],
            port: try freePort())
        let g = try Gateway(config: config, logger: quietLogger)
        let sink = try #require(g.alarms)
        let before = sink.doorbell.generation
        let run = Task { await g.run() }
        let db = try Connection(path: path)
        try db.execute("PRAGMA busy_timeout = 5000")
        let raised = await waitUntil {
            (try? db.scalar("SELECT count(*) FROM alarm_history WHERE alarm = 'boiler-1/comm'")) == 1
        }
        #expect(raised)
        // Let several more failed polls through: still one.
        try await Task.sleep(for: .milliseconds(500))
        await g.requestShutdown()
        #expect(await run.value == .stopped)
        #expect(try db.scalar("SELECT count(*) FROM alarm_history WHERE transition = 'activated'") == 1)
        #expect(try db.text("SELECT alarm FROM alarm_history WHERE transition = 'activated'") == "boiler-1/comm")
        #expect(try db.scalar("SELECT count(*) FROM alarm_history WHERE alarm LIKE '%/sensor'") == 0)
        #expect(try db.scalar("SELECT count(*) FROM alarm_state WHERE kind = 'process' AND state = 'suppressed'") == 4)
        #expect(try db.scalar("SELECT count(*) FROM hook_outbox WHERE event LIKE 'evt_%'") ?? 0 >= 1)
        #expect(sink.doorbell.generation > before)
        #expect(try db.text("SELECT status FROM alarm_state WHERE path = 'boiler-1/comm'") == "BadNotConnected")
    }
}
