import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 12's must-shows through real processes: `kiln simulate` plays the plant, `kiln run`
/// polls it with alarms and hooks in a gateway config, and the hooks deliver to the verifying
/// receiver (tools/testpeers/hook_receiver.py) or a real Alertmanager. State is read from the
/// SQLite file by the sqlite3 CLI on a read-only connection.
@Suite struct AlarmDeliveryTests {
    /// A hook filter that also takes suppression, which a hook without `transitions:` is not
    /// sent (visible, not notified): the tests that look at suppression ask for it.
    static let withSuppression = ["activated", "cleared", "acknowledged", "suppressed", "unsuppressed"]
    /// A device whose `temp` crosses 50 every `period`: its `high` alarm fires and clears.
    static func togglingMap(port: Int, period: String) -> String {
        """
        devices:
          - name: oven-1
            host: 127.0.0.1
            port: \(port)
            timeout: 300ms
            poll: 100ms
            tags:
              - name: temp
                register: holding
                address: 0
                type: float32
                simulate: { value: 20, target: 80, tau: 100ms, period: \(period) }
                alarms:
                  - { name: high, above: 50, severity: major }
        """
    }

    // MARK: - Must show: a receiver down for the whole run gets every event after it returns

    @Test func aReceiverDownForTheWholeRunGetsEveryEventAfterItReturns() async throws {
        let rig = try AlarmRig()
        defer { rig.cleanup() }
        let hookPort = try Loopback.unusedPort()
        try rig.write(
            map: Self.togglingMap(port: try Loopback.unusedPort(), period: "1s"),
            hooks: AlarmRig.webhook(port: hookPort))
        let sim = try await rig.simulator()
        defer { sim.stop() }

        // First run: nobody listens on the hook's port.
        let first = try rig.gateway()
        try await eventually("two episodes fired and cleared") {
            try await rig.count("SELECT count(*) FROM alarm_history WHERE transition = 'cleared'") >= 2
        }
        first.signal(SIGTERM)
        #expect(try await first.exited() == .exited(0), Comment(rawValue: first.stderr.text))

        // Every transition is in the outbox, none delivered.
        let history = try await rig.history()
        let outbox = try await rig.query("SELECT event, state FROM hook_outbox WHERE hook = 'ops'")
        let queued = Set(outbox.compactMap { $0["event"] as? String })
        #expect(history.count >= 4)
        #expect(queued == Set(history.map(\.id)))
        #expect(outbox.allSatisfy { $0["state"] as? String == "pending" }, "\(outbox)")

        // The receiver returns; a second run delivers everything the first left behind.
        let receiver = try await HookReceiver(port: hookPort, secret: rig.secret, log: rig.file("received.jsonl"))
        defer { receiver.stop() }
        let second = try rig.gateway()
        try await eventually("every event of the first run at the receiver") {
            queued.isSubset(of: Set(receiver.events.map(\.webhookID)))
        }
        second.signal(SIGTERM)
        #expect(try await second.exited() == .exited(0), Comment(rawValue: second.stderr.text))

        let deliveries = receiver.deliveries
        #expect(deliveries.allSatisfy { $0.verified && $0.status == 200 }, "\(deliveries)")
        #expect(deliveries.allSatisfy { $0.webhookID == $0.eventID })
        // In order per episode: each episode's events first arrive in the order they happened.
        let arrival = receiver.events.map(\.webhookID)
        for episode in Set(history.map(\.episode)) {
            let ids = history.filter { $0.episode == episode }.map(\.id)
            let positions = ids.compactMap { arrival.firstIndex(of: $0) }
            #expect(positions == positions.sorted(), "episode \(episode): \(ids) arrived as \(arrival)")
        }
    }

    // MARK: - Must show: after kill -9 nothing is lost, duplicates carry the same webhook-id

    @Test func aGatewayKilledMidDeliveryLosesNothingAndRepeatsTheSameWebhookID() async throws {
        let rig = try AlarmRig()
        defer { rig.cleanup() }
        let hookPort = try Loopback.unusedPort()
        // A long hook timeout: the first delivery hangs in the receiver until kiln is killed.
        try rig.write(
            map: Self.togglingMap(port: try Loopback.unusedPort(), period: "1s"),
            hooks: AlarmRig.webhook(port: hookPort, timeout: "5m"))
        let sim = try await rig.simulator()
        defer { sim.stop() }
        let receiver = try await HookReceiver(
            port: hookPort, secret: rig.secret, log: rig.file("received.jsonl"), script: ["slow:600"])
        defer { receiver.stop() }

        let first = try rig.gateway()
        // The first event reached the receiver and hangs there; more transitions queue behind it.
        try await eventually("a hanging delivery and events queued behind it") {
            guard receiver.deliveries.contains(where: { $0.step == "slow:600" }) else { return false }
            return try await rig.count("SELECT count(*) FROM hook_outbox WHERE state = 'pending'") >= 3
        }
        let hung = try #require(receiver.deliveries.first { $0.step == "slow:600" }).webhookID
        #expect(
            try await rig.count("SELECT count(*) FROM hook_outbox WHERE event = '\(hung)' AND state = 'pending'") == 1)
        kill(first.pid, SIGKILL)
        #expect(try await first.exited() == .signaled(SIGKILL))

        let pending = Set(
            try await rig.query("SELECT event FROM hook_outbox WHERE state = 'pending'").compactMap {
                $0["event"] as? String
            })
        #expect(pending.contains(hung))
        let second = try rig.gateway()
        try await eventually("every event pending at the kill at the receiver") {
            pending.isSubset(of: Set(receiver.events.map(\.webhookID)))
        }
        second.signal(SIGTERM)
        #expect(try await second.exited() == .exited(0), Comment(rawValue: second.stderr.text))

        let deliveries = receiver.deliveries
        // The hung event came again: a duplicate with the same webhook-id and the same body.
        let repeats = deliveries.filter { $0.webhookID == hung }
        #expect(repeats.count >= 2)
        for (id, copies) in Dictionary(grouping: deliveries, by: \.webhookID) {
            #expect(Set(copies.map(\.bodyText)).count == 1, "\(id) arrived with different bodies")
            #expect(copies.allSatisfy { $0.eventID == id })
        }
        #expect(deliveries.allSatisfy { $0.verified })
        // Every row the file calls delivered did arrive.
        let delivered = try await rig.query("SELECT event FROM hook_outbox WHERE state = 'delivered'")
        #expect(!delivered.isEmpty)
        #expect(
            Set(delivered.compactMap { $0["event"] as? String }).isSubset(of: Set(receiver.events.map(\.webhookID))))
    }

    // MARK: - Must show: a bad sensor raises one sensor alarm and suppresses its process alarms

    @Test func aBadSensorRaisesOneSensorAlarmAndNoProcessAlarm() async throws {
        let rig = try AlarmRig()
        defer { rig.cleanup() }
        let hookPort = try Loopback.unusedPort()
        // A broken wire: 1000 above a 0…100 range for 3 s, 2 s after the simulator starts and every
        // 8 s (a loaded machine may start polling after the first).
        let map = """
            devices:
              - name: oven-1
                host: 127.0.0.1
                port: \(try Loopback.unusedPort())
                timeout: 300ms
                poll: 250ms
                tags:
                  - name: temp
                    register: holding
                    address: 0
                    type: float32
                    range: [0, 100]
                    simulate:
                      value: 50
                      faults:
                        - { fault: spike, at: 2s, every: 8s, for: 3s, size: 1000 }
                    alarms:
                      - { name: high, above: 85, severity: major }
            """
        try rig.write(map: map, hooks: AlarmRig.webhook(port: hookPort, transitions: Self.withSuppression))
        let receiver = try await HookReceiver(port: hookPort, secret: rig.secret, log: rig.file("received.jsonl"))
        defer { receiver.stop() }
        let sim = try await rig.simulator()
        defer { sim.stop() }
        let kiln = try rig.gateway()
        try await eventually("the sensor alarm cleared and the high alarm unsuppressed at the receiver") {
            let events = receiver.events
            return events.contains { $0.alarm == "oven-1/temp/sensor" && $0.transition == "cleared" }
                && events.contains { $0.alarm == "oven-1/temp/high" && $0.transition == "unsuppressed" }
        }
        kiln.signal(SIGTERM)
        #expect(try await kiln.exited() == .exited(0), Comment(rawValue: kiln.stderr.text))

        // One Bad period: the events up to the high alarm's first unsuppression (a next spike may follow).
        let all = receiver.events
        let end = try #require(all.firstIndex { $0.alarm == "oven-1/temp/high" && $0.transition == "unsuppressed" })
        let events = Array(all[...end])
        // (The tag's alarms: on a loaded machine a late poll may also raise the device's comm alarm.)
        let activations = events.filter { $0.transition == "activated" && $0.alarm.hasPrefix("oven-1/temp/") }
        #expect(activations.map(\.alarm) == ["oven-1/temp/sensor"], "\(events.map { "\($0.alarm) \($0.transition)" })")
        // The suppression event tells what decided it: the Bad sample (status, value withheld),
        // not the last Good value.
        let sensor = try #require(activations.first)
        #expect(sensor.sampleStatus == "BadSensorFailure")
        let suppressed = try #require(events.first { $0.alarm == "oven-1/temp/high" && $0.transition == "suppressed" })
        #expect(suppressed.sampleStatus == sensor.sampleStatus, "\(suppressed.bodyText)")
        #expect(suppressed.value == nil, "\(suppressed.bodyText)")
        let unsuppressed = events.first { $0.alarm == "oven-1/temp/high" && $0.transition == "unsuppressed" }
        #expect(unsuppressed?.sampleStatus == "Good")
        #expect(unsuppressed?.value == 50)
        // Over the whole run, the high alarm saw the garbage only as suppressed.
        #expect(!all.contains { $0.alarm == "oven-1/temp/high" && $0.transition == "activated" })
        let high = try await rig.history().filter { $0.alarm == "oven-1/temp/high" }.map(\.transition)
        #expect(high.first == "suppressed", "\(high)")
        #expect(!high.contains("activated"))
    }

    // MARK: - Must show: a dead device raises one comm alarm, not one per tag

    @Test func aDeadDeviceRaisesOneCommAlarmNotOnePerTag() async throws {
        let rig = try AlarmRig()
        defer { rig.cleanup() }
        let hookPort = try Loopback.unusedPort()
        let tags = (0..<3).map { i in
            """
                  - name: t\(i)
                    register: holding
                    address: \(i * 2)
                    type: float32
                    range: [0, 100]
                    simulate: { value: 50 }
                    alarms:
                      - { name: high, above: 85, severity: major }
                      - { name: low, below: 10, severity: minor }
            """
        }
        let map = """
            devices:
              - name: press-1
                host: 127.0.0.1
                port: \(try Loopback.unusedPort())
                timeout: 200ms
                poll: 250ms
                tags:
            \(tags.joined(separator: "\n"))
            """
        try rig.write(map: map, hooks: AlarmRig.webhook(port: hookPort, transitions: Self.withSuppression))
        let receiver = try await HookReceiver(port: hookPort, secret: rig.secret, log: rig.file("received.jsonl"))
        defer { receiver.stop() }
        var sim = try await rig.simulator()
        let kiln = try rig.gateway()
        try await eventually("samples in the historian") {
            try await rig.count("SELECT count(*) FROM samples") > 0
        }
        // The device dies mid-run.
        kill(sim.pid, SIGKILL)
        _ = try await sim.exited()
        try await eventually("the comm alarm at the receiver") {
            receiver.events.contains { $0.alarm == "press-1/comm" && $0.transition == "activated" }
        }
        // Dead for a few more seconds: room for any per-tag alarm to show (not a timing check).
        try await Task.sleep(for: .seconds(3))
        // It comes back: the comm alarm clears.
        sim = try await rig.simulator()
        defer { sim.stop() }
        try await eventually("the comm alarm cleared at the receiver") {
            receiver.events.contains { $0.alarm == "press-1/comm" && $0.transition == "cleared" }
        }
        kiln.signal(SIGTERM)
        #expect(try await kiln.exited() == .exited(0), Comment(rawValue: kiln.stderr.text))

        let events = receiver.events
        let activations = events.filter { $0.transition == "activated" }.map(\.alarm)
        #expect(activations == ["press-1/comm"], "\(events.map { "\($0.alarm) \($0.transition)" })")
        // Each process alarm is suppressed (six: two per tag), each event naming the comm fault.
        let comm = try #require(events.first { $0.alarm == "press-1/comm" && $0.transition == "activated" })
        let suppressed = events.filter { $0.transition == "suppressed" }
        #expect(Set(suppressed.map(\.alarm)).count == 6, "\(suppressed.map(\.alarm))")
        for event in suppressed {
            #expect(event.sampleStatus == comm.sampleStatus, "\(event.bodyText)")
            #expect(event.value == nil, "\(event.bodyText)")
        }
    }

    // MARK: - Must show: Alertmanager shows the alert firing, then resolved

    @Test func alertmanagerShowsTheAlertFiringThenResolved() async throws {
        let rig = try AlarmRig()
        defer { rig.cleanup() }
        let am = try await AlertmanagerPeer(dir: rig.dir)
        defer { am.stop() }
        try rig.write(
            map: Self.togglingMap(port: try Loopback.unusedPort(), period: "3s"),
            hooks: """
                  - name: am
                    kind: alertmanager
                    url: http://127.0.0.1:\(am.port)
                    timeout: 1s
                    resend: 2s
                """)
        let sim = try await rig.simulator()
        defer { sim.stop() }
        let kiln = try rig.gateway()
        func ours() async throws -> [[String: Any]] {
            try await am.alerts().filter { ($0["labels"] as? [String: String])?["alarm"] == "oven-1/temp/high" }
        }
        var firing: [String: Any] = [:]
        try await eventually("Alertmanager showing the alert firing") {
            guard
                let a = try await ours().first(where: {
                    ($0["status"] as? [String: Any])?["state"] as? String == "active"
                })
            else { return false }
            firing = a
            return true
        }
        let labels = try #require(firing["labels"] as? [String: String])
        #expect(labels["device"] == "oven-1")
        #expect(labels["tag"] == "temp")
        #expect(labels["severity"] == "major")
        let episode = try #require(labels["kiln_episode"])
        // The clear sets endsAt: Alertmanager resolves the alert and no longer lists it as active,
        // while the gateway still runs (an alert that merely stopped being re-sent would stay for
        // Alertmanager's resolve_timeout, 5 minutes).
        try await eventually("Alertmanager showing the alert resolved") {
            try await !ours().contains {
                ($0["labels"] as? [String: String])?["kiln_episode"] == episode
                    && ($0["status"] as? [String: Any])?["state"] as? String == "active"
            }
        }
        // The gateway marks the clear delivered once Alertmanager has answered.
        try await eventually("the clear marked delivered") {
            let cleared = try await rig.query(
                """
                SELECT o.state FROM hook_outbox o JOIN alarm_history h ON h.episode = o.episode
                AND json_extract(CAST(h.event AS TEXT), '$.id') = o.event
                WHERE o.hook = 'am' AND h.episode = '\(episode)' AND h.transition = 'cleared'
                """)
            return cleared.map { $0["state"] as? String } == ["delivered"]
        }
        kiln.signal(SIGTERM)
        #expect(try await kiln.exited() == .exited(0), Comment(rawValue: kiln.stderr.text))
    }

    // MARK: - An operator's acknowledgement from another process reaches the receiver

    @Test func anAcknowledgementFromTheCLIReachesTheReceiver() async throws {
        let rig = try AlarmRig()
        defer { rig.cleanup() }
        let hookPort = try Loopback.unusedPort()
        let map = """
            devices:
              - name: oven-1
                host: 127.0.0.1
                port: \(try Loopback.unusedPort())
                timeout: 300ms
                poll: 100ms
                tags:
                  - name: temp
                    register: holding
                    address: 0
                    type: float32
                    simulate: { value: 90 }
                    alarms:
                      - { name: high, above: 50, severity: major }
            """
        try rig.write(map: map, hooks: AlarmRig.webhook(port: hookPort))
        let receiver = try await HookReceiver(port: hookPort, secret: rig.secret, log: rig.file("received.jsonl"))
        defer { receiver.stop() }
        let sim = try await rig.simulator()
        defer { sim.stop() }
        let kiln = try rig.gateway()
        var activated: Delivery?
        try await eventually("the activation at the receiver") {
            activated = receiver.events.first { $0.alarm == "oven-1/temp/high" && $0.transition == "activated" }
            return activated != nil
        }
        let episode = try #require(activated).episode

        let ack = try await runKiln(["alarms", "ack", "oven-1/temp/high", rig.config, "--note", "on it"])
        #expect(ack.status == .exited(0), "\(ack)")
        var acknowledged: Delivery?
        try await eventually("the acknowledgement at the receiver") {
            acknowledged = receiver.events.first { $0.alarm == "oven-1/temp/high" && $0.transition == "acknowledged" }
            return acknowledged != nil
        }
        #expect(acknowledged?.episode == episode)
        #expect(acknowledged?.note == "on it")
        #expect(acknowledged?.by?.hasPrefix("cli:") == true, "\(String(describing: acknowledged?.by))")

        let list = try await runKiln(["alarms", "list", rig.config])
        #expect(list.status == .exited(0), "\(list)")
        let line = list.stdout.split(separator: "\n").first { $0.hasPrefix("oven-1/temp/high ") }
        #expect(line?.contains("active_acknowledged") == true, "\(list.stdout)")
        #expect(line?.contains("episode=\(episode)") == true, "\(list.stdout)")
        kiln.signal(SIGTERM)
        #expect(try await kiln.exited() == .exited(0), Comment(rawValue: kiln.stderr.text))
    }

    // MARK: - A receiver that answers 500, then 410 Gone: the hook is disabled, then enabled

    @Test func aHookGoneIsDisabledRaisesAnAlarmAndDeliversEverythingOnceEnabled() async throws {
        let rig = try AlarmRig()
        defer { rig.cleanup() }
        let hookPort = try Loopback.unusedPort()
        try rig.write(
            map: Self.togglingMap(port: try Loopback.unusedPort(), period: "1s"),
            hooks: AlarmRig.webhook(port: hookPort))
        let receiver = try await HookReceiver(
            port: hookPort, secret: rig.secret, log: rig.file("received.jsonl"), script: ["500", "410"])
        defer { receiver.stop() }
        let sim = try await rig.simulator()
        defer { sim.stop() }
        let kiln = try rig.gateway()
        // 500 is retried; 410 disables the hook and raises the gateway's own alarm.
        try await eventually(
            "the hook disabled and its alarm raised",
            detail: { "\(receiver.deliveries)\n\(kiln.stderr.text)" }
        ) {
            try await rig.count(
                "SELECT count(*) FROM alarm_state WHERE path = 'kiln/hook/ops' AND state = 'active_unacknowledged'")
                == 1
        }
        let list = try await runKiln(["alarms", "list", rig.config, "--active"])
        #expect(list.stdout.contains("kiln/hook/ops  active_unacknowledged"), "\(list)")
        let status = try await runKiln(["hooks", "status", rig.config])
        #expect(status.stdout.contains("ops: DISABLED"), "\(status)")
        #expect(receiver.deliveries.map(\.status) == [500, 410])
        // Events keep queueing while it is disabled.
        try await eventually("events queued behind the disabled hook") {
            try await rig.count("SELECT count(*) FROM hook_outbox WHERE state = 'pending'") >= 3
        }

        let pending = Set(
            try await rig.query("SELECT event FROM hook_outbox WHERE state = 'pending'").compactMap {
                $0["event"] as? String
            })
        #expect(pending.count >= 3)
        let enable = try await runKiln(["hooks", "enable", "ops", rig.config])
        #expect(enable.status == .exited(0), "\(enable)")
        try await eventually("everything queued while disabled, and the hook alarm cleared, at the receiver") {
            let events = receiver.events
            return pending.isSubset(of: Set(events.map(\.webhookID)))
                && events.contains { $0.alarm == "kiln/hook/ops" && $0.transition == "cleared" }
        }
        kiln.signal(SIGTERM)
        #expect(try await kiln.exited() == .exited(0), Comment(rawValue: kiln.stderr.text))
        let events = receiver.events
        #expect(events.filter { $0.alarm == "kiln/hook/ops" }.map(\.transition) == ["activated", "cleared"])
        // The event answered 500 and 410 came again with the same webhook-id.
        let first = try #require(receiver.deliveries.first).webhookID
        let attempts = receiver.deliveries.filter { $0.webhookID == first }.map(\.status)
        #expect(attempts.prefix(3) == [500, 410, 200], "\(attempts)")
    }

    // MARK: - An alarm removed from the config while firing is closed for every hook

    @Test func anAlarmRemovedFromTheConfigWhileFiringIsClosedForTheHooks() async throws {
        let rig = try AlarmRig()
        defer { rig.cleanup() }
        let am = try await AlertmanagerPeer(dir: rig.dir)
        defer { am.stop() }
        let hookPort = try Loopback.unusedPort()
        let map = """
            devices:
              - name: oven-1
                host: 127.0.0.1
                port: \(try Loopback.unusedPort())
                timeout: 300ms
                poll: 100ms
                tags:
                  - name: temp
                    register: holding
                    address: 0
                    type: float32
                    simulate: { value: 90 }
                    alarms:
                      - { name: high, above: 50, severity: major }
            """
        let hooks =
            AlarmRig.webhook(port: hookPort) + """

                  - name: am
                    kind: alertmanager
                    url: http://127.0.0.1:\(am.port)
                    timeout: 500ms
                    resend: 1s
                """
        try rig.write(map: map, hooks: hooks)
        let receiver = try await HookReceiver(port: hookPort, secret: rig.secret, log: rig.file("received.jsonl"))
        defer { receiver.stop() }
        let sim = try await rig.simulator()
        defer { sim.stop() }
        func firing(_ alarm: String) async throws -> Bool {
            try await am.alerts().contains {
                ($0["labels"] as? [String: String])?["alarm"] == alarm
                    && ($0["status"] as? [String: Any])?["state"] as? String == "active"
            }
        }
        let first = try rig.gateway()
        var activated: Delivery?
        try await eventually("the high alarm at the receiver and firing in Alertmanager") {
            activated = receiver.events.first { $0.alarm == "oven-1/temp/high" && $0.transition == "activated" }
            guard activated != nil else { return false }
            return try await firing("oven-1/temp/high")
        }
        first.signal(SIGTERM)
        #expect(try await first.exited() == .exited(0), Comment(rawValue: first.stderr.text))
        let episode = try #require(activated).episode

        // The plant engineer renames the alarm; the gateway starts again.
        try map.replacingOccurrences(of: "name: high, above: 50", with: "name: hot, above: 60")
            .write(toFile: rig.map, atomically: false, encoding: .utf8)
        let second = try rig.gateway()
        try await eventually("the removed alarm's episode closed at the receiver") {
            receiver.events.contains { $0.episode == episode && $0.transition == "cleared" }
        }
        // Alertmanager no longer shows it firing: the gateway stopped re-sending it and set endsAt.
        try await eventually("the removed alarm resolved in Alertmanager, the new one firing") {
            let old = try await firing("oven-1/temp/high")
            let new = try await firing("oven-1/temp/hot")
            return !old && new
        }
        #expect(try await rig.count("SELECT count(*) FROM hook_alertmanager_firing WHERE episode = '\(episode)'") == 0)
        second.signal(SIGTERM)
        #expect(try await second.exited() == .exited(0), Comment(rawValue: second.stderr.text))
        let closing = receiver.events.filter { $0.episode == episode }.map(\.transition)
        #expect(closing == ["activated", "out_of_service", "cleared"], "\(closing)")
        let list = try await runKiln(["alarms", "list", rig.config])
        #expect(!list.stdout.contains("oven-1/temp/high"), "\(list.stdout)")
    }
}
