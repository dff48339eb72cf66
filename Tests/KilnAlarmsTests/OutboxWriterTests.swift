import KilnAlarms
import KilnCore
import KilnSQLite
import KilnTestSupport
import Testing

@Suite struct OutboxWriterTests {
    static func event(
        _ transition: AlarmTransition = .activated, severity: AlarmSeverity = .major, tag: String? = "supply_temp"
    ) -> AlarmEvent {
        AlarmEvent(
            id: "evt_ep1_1", transition: transition, episode: "ep1", alarm: "boiler-1/supply_temp/high", name: "high",
            kind: .process, device: "boiler-1", tag: tag, severity: severity, state: .activeUnacknowledged,
            value: 86.25, limit: 85, status: "Good", message: "boiler-1/supply_temp above 85: 86.25",
            time: 1_780_000_000_123_456, sampleTime: 1_780_000_000_100_000, activeSince: 1_780_000_000_123_456)
    }

    @Test func eventJSONRoundTrips() throws {
        let e = Self.event()
        let json = e.json()
        #expect(AlarmEvent(json: json) == e)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains(#""time":"2026-05-28T20:26:40.123456Z""#))
        #expect(text.contains(#""transition":"activated""#))
        #expect(AlarmEvent(json: Array("{\"id\":1}".utf8)) == nil)
        var infinite = e
        infinite.value = .infinity
        #expect(String(decoding: infinite.json(), as: UTF8.self).contains(#""value":null"#))
    }

    @Test func enqueueWritesOneRowPerAdmittingHook() throws {
        let dir = TempDir()
        let db = try Connection(path: dir.path + "/k.sqlite")
        try Migrator([OutboxSchema.migrations]).migrate(db)
        let hooks = [
            HookConfig(name: "all", kind: .webhook, url: "http://127.0.0.1:1/"),
            HookConfig(
                name: "critical", kind: .webhook, url: "http://127.0.0.1:1/", filter: HookFilter(minSeverity: .critical)
            ),
            HookConfig(
                name: "chiller", kind: .exec, command: ["/bin/true"], filter: HookFilter(devices: ["chiller-*"])),
            HookConfig(
                name: "temps", kind: .exec, command: ["/bin/true"],
                filter: HookFilter(tags: ["*_temp"], transitions: [.activated, .cleared])),
        ]
        let writer = try OutboxWriter(connection: db, hooks: hooks)
        #expect(try writer.enqueue(Self.event()) == 2)  // all, temps
        // The same event again (a replay after a crash) writes nothing new.
        #expect(try writer.enqueue(Self.event()) == 2)
        #expect(try db.scalar("SELECT count(*) FROM hook_outbox") == 2)
        var ack = Self.event(.acknowledged)
        ack.id = "evt_ep1_2"
        #expect(try writer.enqueue(ack) == 1)  // all
        var comm = Self.event(tag: nil)
        comm.id = "evt_ep2_1"
        #expect(try writer.enqueue(comm) == 1)  // all; temps has tag globs
        var test = Self.event(.test, severity: .info)
        test.id = "evt_test_1"
        #expect(try writer.enqueue(test, onlyHook: "critical") == 1)
        // Suppression is visible, not notified: only a hook that names it is sent it.
        var suppressed = Self.event(.suppressed)
        suppressed.id = "evt_ep3_1"
        #expect(try writer.enqueue(suppressed) == 0)
        let loud = try OutboxWriter(
            connection: db,
            hooks: [
                HookConfig(
                    name: "audit", kind: .exec, command: ["/bin/true"],
                    filter: HookFilter(transitions: [.suppressed, .unsuppressed]))
            ])
        #expect(try loud.enqueue(suppressed) == 1)
        let rows = try db.prepare("SELECT hook, event FROM hook_outbox WHERE hook != 'audit' ORDER BY id")
        var seen: [String] = []
        while try rows.step() { seen.append("\(rows.string(0) ?? "")/\(rows.string(1) ?? "")") }
        #expect(
            seen == ["all/evt_ep1_1", "temps/evt_ep1_1", "all/evt_ep1_2", "all/evt_ep2_1", "critical/evt_test_1"])
    }
}
