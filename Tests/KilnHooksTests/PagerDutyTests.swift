import Foundation
import KilnAlarms
import KilnCore
import KilnHooks
import KilnTestSupport
import Testing

@Suite struct PagerDutyTests {
    @Test func triggerAcknowledgeResolveReachAReceiverCheckingTheShape() async throws {
        let port = try freePort()
        let outbox = try Outbox(hooks: [
            HookConfig(
                name: "pd", kind: .pagerduty, url: "http://127.0.0.1:\(port)/v2/enqueue", secret: .environment("PD"))
        ])
        defer { outbox.dir.cleanup() }
        let log = outbox.dir.file("log.jsonl")
        let receiver = try await Peer.receiver(
            port: port, mode: "pagerduty", log: log, extra: ["--routing-key", "R0UTINGKEY0123456789"])
        defer { receiver.stop() }
        try outbox.enqueue([
            event(episode: "pdep", seq: 1),
            event(episode: "pdep", seq: 2, transition: .acknowledged, state: .activeAcknowledged),
            event(episode: "pdep", seq: 3, transition: .cleared, state: .normal),
        ])
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                settings: quick, environment: ["PD": "R0UTINGKEY0123456789"]))
        try await waitUntil("3 events") {
            try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'delivered'") == 3
        }
        task.cancel()
        await task.value
        let got = records(log)
        #expect(got.map { $0["status"] as? Int } == [202, 202, 202])
        #expect(got.map { ($0["errors"] as? [String])?.isEmpty } == [true, true, true])
        let bodies = got.compactMap {
            try? JSONSerialization.jsonObject(with: Data(($0["body"] as? String ?? "").utf8)) as? [String: Any]
        }
        #expect(bodies.map { $0["event_action"] as? String } == ["trigger", "acknowledge", "resolve"])
        #expect(bodies.map { $0["dedup_key"] as? String } == ["pdep", "pdep", "pdep"])
        let payload = try #require(bodies.first?["payload"] as? [String: Any])
        #expect(payload["severity"] as? String == "error")  // major
        #expect(payload["source"] as? String == "boiler-1")
        #expect((payload["custom_details"] as? [String: Any])?["id"] as? String == "evt_pdep_1")
    }

    @Test func aWrongRoutingKeyIsRejectedAndRetried() async throws {
        let port = try freePort()
        let outbox = try Outbox(hooks: [
            HookConfig(
                name: "pd", kind: .pagerduty, url: "http://127.0.0.1:\(port)/v2/enqueue", secret: .environment("PD"))
        ])
        defer { outbox.dir.cleanup() }
        let receiver = try await Peer.receiver(port: port, mode: "pagerduty", extra: ["--routing-key", "RIGHT"])
        defer { receiver.stop() }
        try outbox.enqueue([event()])
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                settings: quick, environment: ["PD": "WRONG"]))
        try await waitUntil("a rejected attempt") { try outbox.scalar("SELECT attempts FROM hook_outbox") ?? 0 >= 1 }
        task.cancel()
        await task.value
        #expect(try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'pending'") == 1)
        let error = try OutboxStore(path: outbox.path).status(hooks: ["pd"]).first?.lastError
        #expect(error?.contains("HTTP 400") == true)
        #expect(error?.contains("routing_key") == true)
    }

    @Test func aMissingRoutingKeyRefusesToStart() throws {
        let hook = HookConfig(name: "pd", kind: .pagerduty, secret: .environment("PD_MISSING"))
        #expect(throws: HookError.self) { try HookSenders.make(hook, environment: [:]) }
    }
}
