import Foundation
import KilnAlarms
import KilnCore
import KilnGateway
import KilnSQLite
import KilnSimulator
import KilnTestSupport
import Testing

/// A real gateway polling Kiln's simulator: a broken-wire spike drives the tag out of its range,
/// conditioning calls the sensor Bad, and the engine raises exactly one sensor alarm while the
/// tag's process alarm is suppressed, never activated on the garbage.
@Suite struct SensorSuppressionTests {
    @Test func aBadSensorRaisesOneSensorAlarmAndSuppressesTheProcessAlarm() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("kiln.sqlite")
        // Every 5 s for 2 s: a loaded machine may start polling after the first window.
        let spike = SimulatedFault(kind: .spike, at: .seconds(1), duration: .seconds(2), every: .seconds(5), size: 1000)
        var tag = temp(
            alarms: [AlarmDefinition(name: "high", limit: .above(85), severity: .major)], poll: .milliseconds(250))
        tag.simulation = TagSimulation(value: 50, faults: [spike])
        let simulated = DeviceConfig(name: "boiler-1", host: "127.0.0.1", port: 1, tags: [tag])
        let server = try SimulatorServer(devices: [simulated], configuration: .init(portOverride: 0))
        try server.start()
        defer { server.stop() }
        let config = gateway([tag], historian: path, port: server.ports[0])
        let g = try Gateway(config: config, logger: quietLogger)
        let run = Task { await g.run() }
        let db = try Connection(path: path)
        try db.execute("PRAGMA busy_timeout = 5000")
        func count(_ sql: String) -> Int64 { (try? db.scalar(sql)) ?? -1 }
        // The spike comes and goes: the sensor alarm activates, then returns.
        let cleared = await waitUntil {
            count("SELECT count(*) FROM alarm_history WHERE alarm LIKE '%/sensor' AND transition = 'cleared'") >= 1
        }
        #expect(cleared)
        await g.requestShutdown()
        #expect(await run.value == .stopped)
        // Only the sensor alarm ever activated: once per Bad period, each suppressing the
        // tag's high alarm, which never activated on the garbage.
        let activated = try db.prepare("SELECT alarm FROM alarm_history WHERE transition = 'activated'")
        var alarms: [String] = []
        while try activated.step() { alarms.append(activated.string(0) ?? "") }
        #expect(!alarms.isEmpty)
        #expect(alarms.allSatisfy { $0 == "boiler-1/supply_temp/sensor" }, "\(alarms)")
        let process = try db.prepare(
            "SELECT transition FROM alarm_history WHERE alarm = 'boiler-1/supply_temp/high' ORDER BY id")
        var transitions: [String] = []
        while try process.step() { transitions.append(process.string(0) ?? "") }
        #expect(transitions.count >= 2)
        #expect(
            transitions.enumerated().allSatisfy { i, t in t == (i % 2 == 0 ? "suppressed" : "unsuppressed") },
            "\(transitions)")
        #expect(transitions.filter { $0 == "suppressed" }.count == alarms.count)
        #expect(count("SELECT count(*) FROM alarm_history WHERE alarm = 'boiler-1/comm'") == 0)
    }
}
