import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 14's SIGHUP reload through real processes: `kiln simulate` plays the plant, `kiln run`
/// polls it, the test rewrites the device map and sends SIGHUP, and reads the historian's file
/// with the sqlite3 CLI.
@Suite struct ReloadTests {
    /// One device polled every 100 ms: `temp` (90, its `high` alarm active), `flow` (30, its
    /// `low` alarm active) and, with `pressure`, a third tag the reload adds. The simulator
    /// serves all three from the start.
    static func map(port: Int, pressure: Bool, flowType: String = "float32") -> String {
        var text = """
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
                    simulate: { value: 90 }
                    alarms:
                      - { name: high, above: 50, severity: major }
                  - name: flow
                    register: holding
                    address: 2
                    type: \(flowType)
                    simulate: { value: 30 }
                    alarms:
                      - { name: low, below: 40, severity: minor }
            """
        if pressure {
            text += """

                      - name: pressure
                        register: holding
                        address: 4
                        type: float32
                        simulate: { value: 2.5 }
                """
        }
        return text + "\n"
    }

    /// A gateway config naming `map.yaml`, with a 100 ms historian flush (`flush` changes it).
    static func config(flush: String = "100ms") -> String {
        """
        devices:
          - map.yaml
        shutdown_timeout: 10s
        historian:
          path: kiln.sqlite
          flush: \(flush)

        """
    }

    /// The rig with the simulator (serving every tag) running and the gateway config written.
    static func plant(_ rig: AlarmRig) async throws -> (sim: ChildProcess, port: Int) {
        let port = try Loopback.unusedPort()
        try map(port: port, pressure: true).write(toFile: rig.file("sim.yaml"), atomically: false, encoding: .utf8)
        try map(port: port, pressure: false).write(toFile: rig.map, atomically: false, encoding: .utf8)
        try config().write(toFile: rig.config, atomically: false, encoding: .utf8)
        let sim = try KilnCLI.start(["simulate", rig.file("sim.yaml")])
        _ = try await sim.line(containing: "serving")
        return (sim, port)
    }

    /// A tag's sample times in the historian, oldest first; none while the gateway has not yet
    /// created the tables.
    static func times(_ rig: AlarmRig, tag: String) async throws -> [Int64] {
        do {
            return try await rig.query(
                """
                SELECT s.time AS time FROM samples s JOIN tags t ON t.id = s.tag
                WHERE t.device = 'oven-1' AND t.tag = '\(tag)' ORDER BY s.time
                """
            ).compactMap { ($0["time"] as? Int).map(Int64.init) }
        } catch let failure as RigFailure where failure.description.contains("no such table") {
            return []
        }
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    // MARK: - A valid reload: a tag added, no gap in the others, alarms as they were

    @Test func aValidReloadAddsATagWithoutAGapAndKeepsAlarmState() async throws {
        let rig = try AlarmRig()
        defer { rig.cleanup() }
        let (sim, port) = try await Self.plant(rig)
        defer { sim.stop() }
        let kiln = try KilnCLI.start(["run", rig.config, "--quiet"])
        defer { if kiln.wait(timeout: .zero) == nil { kiln.signal(SIGKILL) } }

        // Both alarms active; one acknowledged, the other shelved.
        try await eventually("both alarms active", detail: { kiln.stderr.text }) {
            try await rig.count(
                "SELECT count(*) FROM alarm_state WHERE path IN ('oven-1/temp/high', 'oven-1/flow/low') AND active = 1")
                == 2
        }
        let ack = try await runKiln(["alarms", "ack", "oven-1/temp/high", rig.config, "--note", "seen"])
        #expect(ack.status == .exited(0), "\(ack)")
        let shelve = try await runKiln([
            "alarms", "shelve", "oven-1/flow/low", rig.config, "--for", "2h", "--reason", "sensor swap",
        ])
        #expect(shelve.status == .exited(0), "\(shelve)")
        try await eventually("the acknowledgement and the shelve applied") {
            try await rig.count(
                """
                SELECT count(*) FROM alarm_state WHERE (path = 'oven-1/temp/high' AND state = 'active_acknowledged')
                OR (path = 'oven-1/flow/low' AND state = 'shelved')
                """) == 2
        }
        let before = try await rig.query("SELECT path, state, episode FROM alarm_state ORDER BY path")

        // The map gains `pressure`; SIGHUP.
        try Self.map(port: port, pressure: true).write(toFile: rig.map, atomically: false, encoding: .utf8)
        let hup = Self.now()
        kiln.signal(SIGHUP)
        try await eventually("the reload logged", detail: { kiln.stderr.text }) {
            kiln.stderr.text.contains("reloaded: 1 tag added")
        }
        let reloaded = Self.now()
        try await eventually("pressure in the historian, flow a second past the reload") {
            let pressure = try await Self.times(rig, tag: "pressure")
            let flow = try await Self.times(rig, tag: "flow")
            return !pressure.isEmpty && (flow.last ?? 0) > reloaded + 1_000_000
        }
        #expect(kiln.wait(timeout: .zero) == nil, "kiln run is still running")

        // flow, polled every 100 ms, never went more than two periods without a sample. A sample
        // is stamped when its reply comes, which a loaded 2-CPU CI machine delays by tens of
        // milliseconds (208 ms seen once): two periods and a quarter.
        let flow = try await Self.times(rig, tag: "flow")
        let window = flow.filter { $0 >= hup - 1_000_000 && $0 <= reloaded + 1_000_000 }
        #expect(window.count >= 10, "\(window)")
        let gaps = zip(window.dropFirst(), window).map { $0 - $1 }
        #expect((gaps.max() ?? .max) <= 225_000, "largest gap \(gaps.max() ?? -1) µs across the reload: \(window)")

        // Alarm state carried over: the same states and episodes.
        let after = try await rig.query("SELECT path, state, episode FROM alarm_state ORDER BY path")
        func row(_ rows: [[String: Any]], _ path: String) -> String {
            guard let r = rows.first(where: { $0["path"] as? String == path }) else { return "missing" }
            return "\(r["state"] as? String ?? "?") \(r["episode"] as? String ?? "-")"
        }
        for path in ["oven-1/temp/high", "oven-1/flow/low"] {
            #expect(row(after, path) == row(before, path), "\(path)")
        }
        #expect(row(after, "oven-1/temp/high").hasPrefix("active_acknowledged "))
        #expect(row(after, "oven-1/flow/low").hasPrefix("shelved "))

        kiln.signal(SIGTERM)
        #expect(try await kiln.exited() == .exited(0), Comment(rawValue: kiln.stderr.text))
        // One run, stopped cleanly: the reload is no run boundary.
        let runs = try await rig.query(#"SELECT ended FROM runs"#)
        #expect(runs.count == 1 && runs.first?["ended"] as? String == "stop", "\(runs)")
        // The closing summary counts the whole run, both configurations: every sample it says it
        // delivered is in the historian (which filters none here), and no more.
        let summary = try #require(kiln.stderr.lines.first { $0.hasPrefix("pipeline: ") }, "\(kiln.stderr.text)")
        let delivered = try #require(summary.firstMatch(of: /polled, (\d+) delivered/).flatMap { Int($0.1) })
        #expect(try await rig.count("SELECT count(*) FROM samples") == delivered, "\(summary)")
    }

    // MARK: - Must show: a broken map keeps the gateway running on the old one, and says why

    @Test func aBrokenMapIsRefusedAndTheGatewayRunsOnTheOldOne() async throws {
        let rig = try AlarmRig()
        defer { rig.cleanup() }
        let (sim, port) = try await Self.plant(rig)
        defer { sim.stop() }
        let metrics = rig.file("metrics.prom")
        let kiln = try KilnCLI.start(["run", rig.config, "--quiet", "--metrics", metrics])
        defer { if kiln.wait(timeout: .zero) == nil { kiln.signal(SIGKILL) } }
        try await eventually("temp in the historian", detail: { kiln.stderr.text }) {
            try await !Self.times(rig, tag: "temp").isEmpty
        }

        // A type that does not exist, on a known line.
        let broken = Self.map(port: port, pressure: true, flowType: "float33")
        let line =
            try #require(
                broken.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("float33") })
            + 1
        try broken.write(toFile: rig.map, atomically: false, encoding: .utf8)
        let hup = Self.now()
        kiln.signal(SIGHUP)
        try await eventually("the refusal on standard error", detail: { kiln.stderr.text }) {
            kiln.stderr.text.contains("map.yaml:\(line):")
        }
        let stderr = kiln.stderr.text
        #expect(stderr.contains("configuration reload refused"), "\(stderr)")
        #expect(stderr.contains("float33"), "\(stderr)")
        // Still running on the old map: temp keeps arriving, pressure never does.
        try await eventually("temp a second past the refused reload") {
            (try await Self.times(rig, tag: "temp").last ?? 0) > hup + 1_000_000
        }
        #expect(kiln.wait(timeout: .zero) == nil, "kiln run is still running")
        #expect(try await Self.times(rig, tag: "pressure").isEmpty)

        // A valid map but a historian setting changed: a restart is needed, refused likewise.
        try Self.map(port: port, pressure: true).write(toFile: rig.map, atomically: false, encoding: .utf8)
        try Self.config(flush: "200ms").write(toFile: rig.config, atomically: false, encoding: .utf8)
        kiln.signal(SIGHUP)
        try await eventually("the restart-needed refusal", detail: { kiln.stderr.text }) {
            kiln.stderr.text.contains("restart needed for historian")
        }
        let second = Self.now()
        try await eventually("temp a second past the second refusal") {
            (try await Self.times(rig, tag: "temp").last ?? 0) > second + 1_000_000
        }
        #expect(try await Self.times(rig, tag: "pressure").isEmpty)

        kiln.signal(SIGTERM)
        #expect(try await kiln.exited() == .exited(0), Comment(rawValue: kiln.stderr.text))
        let exposition = try PrometheusText(String(contentsOfFile: metrics, encoding: .utf8))
        #expect(exposition.sum("kiln_config_reload_failures_total") == 2, "\(exposition.text)")
        #expect(exposition.has("kiln_config_last_reload_success", [:]), "\(exposition.text)")
        #expect(exposition.sum("kiln_config_last_reload_success") == 0, "\(exposition.text)")
    }

    // MARK: - The hooks' outbox across a reload: every event delivered, none twice

    @Test func hookEventsBeforeAndAfterAReloadAreDeliveredOnceEach() async throws {
        let rig = try AlarmRig()
        defer { rig.cleanup() }
        let port = try Loopback.unusedPort()
        let hookPort = try Loopback.unusedPort()
        // `temp` crosses 50 every second: its `high` alarm fires and clears, each a webhook event.
        let toggling = AlarmDeliveryTests.togglingMap(port: port, period: "1s")
        let extra = """

                  - name: pressure
                    register: holding
                    address: 4
                    type: float32
                    simulate: { value: 2.5 }

            """
        try (toggling + extra).write(toFile: rig.file("sim.yaml"), atomically: false, encoding: .utf8)
        try rig.write(map: toggling + "\n", hooks: AlarmRig.webhook(port: hookPort))
        let receiver = try await HookReceiver(port: hookPort, secret: rig.secret, log: rig.file("received.jsonl"))
        defer { receiver.stop() }
        let sim = try KilnCLI.start(["simulate", rig.file("sim.yaml")])
        defer { sim.stop() }
        _ = try await sim.line(containing: "serving")
        let kiln = try rig.gateway()
        defer { if kiln.wait(timeout: .zero) == nil { kiln.signal(SIGKILL) } }
        try await eventually("two events at the receiver", detail: { kiln.stderr.text }) {
            receiver.events.count >= 2
        }

        try (toggling + extra).write(toFile: rig.map, atomically: false, encoding: .utf8)
        kiln.signal(SIGHUP)
        try await eventually("the reload logged", detail: { kiln.stderr.text }) {
            kiln.stderr.text.contains("reloaded: 1 tag added")
        }
        let before = receiver.events.count
        try await eventually("two more events after the reload", detail: { kiln.stderr.text }) {
            receiver.events.count >= before + 2
        }
        kiln.signal(SIGTERM)
        #expect(try await kiln.exited() == .exited(0), Comment(rawValue: kiln.stderr.text))

        // Every event of the outbox was delivered, each once, the same episode going on.
        let outbox = try await rig.query("SELECT event, state FROM hook_outbox WHERE hook = 'ops'")
        let delivered = Set(
            outbox.filter { $0["state"] as? String == "delivered" }.compactMap { $0["event"] as? String })
        let arrived = receiver.deliveries.filter { $0.status == 200 }.map(\.webhookID)
        #expect(arrived.count == Set(arrived).count, "an event delivered twice: \(arrived)")
        #expect(delivered.isSubset(of: Set(arrived)), "\(delivered) \(arrived)")
        let history = try await rig.history()
        #expect(Set(history.map(\.id)).isSubset(of: Set(outbox.compactMap { $0["event"] as? String })))
    }

    // MARK: - systemd: the watchdog goes on after a reload, the status says a reload was refused

    @Test func underSystemdTheWatchdogGoesOnAndTheStatusSaysAReloadWasRefused() throws {
        let rig = try ServiceRig()
        defer { rig.stop() }
        let socket = try NotifySocket(name: rig.directory.path + "/notify.sock")
        defer { socket.close() }
        let gateway = try rig.gateway(environment: [
            "NOTIFY_SOCKET": socket.name, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "$$",
        ])
        defer { _ = gateway.stop() }
        func context() -> Comment {
            gateway.waitForOutput(timeout: .milliseconds(100))
            return Comment(
                rawValue: "messages: \(socket.messages.map(\.lines))\n--- kiln stderr\n\(gateway.stderr.text)")
        }
        try #require(socket.waitFor("READY=1", timeout: .seconds(60)) != nil, context())

        // The same configuration again: applied, the new poller threads take over the pings.
        gateway.signal(SIGHUP)
        try #require(
            Poll.until(timeout: .seconds(60)) { gateway.stderr.text.contains("reloaded: no device or tag changed") },
            context())
        let reloadedAt = socket.messages.count
        try #require(
            Poll.until(timeout: .seconds(30)) {
                socket.messages[reloadedAt...].filter { $0.has("WATCHDOG=1") }.count >= 3
            }, context())

        // A broken map: refused, and systemd's status says so until a reload applies.
        try "devices:\n  - name: [\n".write(
            toFile: rig.directory.path + "/run.yaml", atomically: false, encoding: .utf8)
        let refusedAt = socket.messages.count
        gateway.signal(SIGHUP)
        var refused: NotifySocket.Message?
        _ = Poll.until(timeout: .seconds(60)) {
            refused = socket.messages[refusedAt...].first {
                $0.status?.contains("reload refused, running the previous configuration: ") == true
            }
            return refused != nil
        }
        #expect(refused?.status?.contains("run.yaml:") == true, context())
        // Polling goes on: the watchdog pings still come, with the status.
        let laterAt = socket.messages.count
        #expect(socket.waitFor("WATCHDOG=1", after: laterAt, timeout: .seconds(30)) != nil, context())
        #expect(gateway.stop(grace: .seconds(30)) == .exited(0), context())
    }
}
