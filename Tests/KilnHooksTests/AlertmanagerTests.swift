import AsyncHTTPClient
import Foundation
import KilnAlarms
import KilnCore
import KilnHooks
import KilnTestSupport
import Testing

@Suite(.serialized) struct AlertmanagerTests {
    static let binary = "/usr/bin/prometheus-alertmanager"

    /// Alertmanager's alerts with label kiln_episode = `episode`.
    static func alerts(port: Int, episode: String) async throws -> [[String: Any]] {
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v2/alerts")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let all = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [[String: Any]] ?? []
        return all.filter { ($0["labels"] as? [String: String])?["kiln_episode"] == episode }
    }

    @Test func aRealAlertmanagerShowsTheAlertFiringThenResolved() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw Failure("\(Self.binary) is missing: run tools/setup.sh --tests (Debian prometheus-alertmanager)")
        }
        let dir = TempDir()
        defer { dir.cleanup() }
        let port = try freePort()
        let config = try dir.write(
            "alertmanager.yml",
            """
            route:
              receiver: "null"
            receivers:
              - name: "null"
            """)
        let am = try Peer(
            [
                Self.binary, "--config.file", config, "--storage.path", dir.file("data"),
                "--web.listen-address", "127.0.0.1:\(port)", "--cluster.listen-address=",
            ], log: dir.file("alertmanager.log"))
        defer { am.stop() }
        let deadline = ContinuousClock.now + .seconds(120)
        while await httpGet("http://127.0.0.1:\(port)/-/ready")?.status != 200 {
            if ContinuousClock.now > deadline || !am.process.isRunning {
                throw Failure(
                    "Alertmanager did not start: "
                        + ((try? String(contentsOfFile: dir.file("alertmanager.log"), encoding: .utf8)) ?? ""))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let outbox = try Outbox(hooks: [
            HookConfig(name: "am", kind: .alertmanager, url: "http://127.0.0.1:\(port)/", resend: .seconds(1))
        ])
        defer { outbox.dir.cleanup() }
        let bell = OutboxDoorbell()
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: bell, logger: testLogger, settings: quick))
        defer { task.cancel() }
        let fire = event(episode: "amep1", seq: 1)
        try outbox.enqueue([fire])
        bell.ring()
        let giveUp = ContinuousClock.now + .seconds(120)
        var firing: [String: Any] = [:]
        while true {
            if let a = try await Self.alerts(port: port, episode: "amep1").first,
                (a["status"] as? [String: Any])?["state"] as? String == "active"
            {
                firing = a
                break
            }
            if ContinuousClock.now > giveUp { throw Failure("Alertmanager never showed the alert firing") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let labels = try #require(firing["labels"] as? [String: String])
        #expect(labels["alertname"] == "high")
        #expect(labels["device"] == "boiler-1")
        #expect(labels["tag"] == "supply_temp")
        #expect(labels["alarm"] == "boiler-1/supply_temp/high")
        #expect(labels["severity"] == "major")
        #expect((firing["annotations"] as? [String: String])?["summary"] == fire.message)
        // Kept in the firing set (for re-sends after a restart) once delivered.
        try await waitUntil("the firing set") {
            try outbox.scalar("SELECT count(*) FROM hook_alertmanager_firing") == 1
        }

        // A restarted sender keeps re-sending the firing alert (from the firing set in SQLite):
        // its endsAt moves on.
        task.cancel()
        await task.value
        let firstEnd = firing["endsAt"] as? String ?? ""
        let restarted = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: bell, logger: testLogger, settings: quick))
        defer { restarted.cancel() }
        while true {
            if let a = try await Self.alerts(port: port, episode: "amep1").first, let end = a["endsAt"] as? String,
                end > firstEnd
            {
                break
            }
            if ContinuousClock.now > giveUp { throw Failure("the restarted sender never re-sent the alert") }
            try await Task.sleep(for: .milliseconds(100))
        }

        var clear = event(episode: "amep1", seq: 2, transition: .cleared, state: .returnedUnacknowledged)
        clear.time = WallClock.epochMicroseconds()
        try outbox.enqueue([clear])
        bell.ring()
        try await waitUntil("the clear delivered") {
            try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'delivered'") == 2
        }
        // Resolved: no longer active; Alertmanager keeps it with endsAt at the clear time until
        // it collects it.
        let after = try await Self.alerts(port: port, episode: "amep1")
        for a in after {
            #expect((a["status"] as? [String: Any])?["state"] as? String != "active")
            let ends = (a["endsAt"] as? String).flatMap { text in
                Array(text.utf8).withUnsafeBufferPointer { Timestamp.micros(rfc3339: $0) }
            }
            #expect(ends.map { abs($0 - clear.time) < 1000 } == true, "endsAt \(a["endsAt"] ?? "none")")
        }
        #expect(try outbox.scalar("SELECT count(*) FROM hook_alertmanager_firing") == 0)
        restarted.cancel()
        await restarted.value
    }
}
