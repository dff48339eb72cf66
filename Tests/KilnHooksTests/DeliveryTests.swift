import Foundation
import KilnAlarms
import KilnCore
import KilnHooks
import KilnSQLite
import KilnTestSupport
import Testing

@Suite(.serialized) struct DeliveryTests {
    @Test func downThenSlowThen500Then429RetryAfterAreRetriedInOrder() async throws {
        let port = try freePort()
        let outbox = try Outbox(hooks: [
            HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(port)/", timeout: .milliseconds(400))
        ])
        defer { outbox.dir.cleanup() }
        let log = outbox.dir.file("log.jsonl")
        try outbox.enqueue([event(seq: 1), event(seq: 2)])
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                settings: quick))
        defer { task.cancel() }
        // Down: nobody listens; the first row is retried and its error recorded.
        try await waitUntil("attempts while down") {
            try outbox.scalar("SELECT attempts FROM hook_outbox WHERE event = 'evt_ep1_1'") ?? 0 >= 2
        }
        #expect(try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'delivered'") == 0)
        let downError = try outbox.connection().text("SELECT last_error FROM hook_state WHERE hook = 'ops'")
        #expect(downError?.isEmpty == false)
        // Up, but slow past the timeout, then 500, then 429 with Retry-After: 1, then fine.
        let receiver = try await Peer.receiver(port: port, log: log, extra: ["--script", "slow:2,500,429:1"])
        defer { receiver.stop() }
        try await waitUntil("both delivered") {
            try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'delivered'") == 2
        }
        task.cancel()
        await task.value
        let got = records(log)
        #expect(got.map { $0["step"] as? String } == ["slow:2", "500", "429:1", "ok", "ok"])
        // The first event went first every time; the second only after it.
        #expect(got.map { $0["id"] as? String } == ["evt_ep1_1", "evt_ep1_1", "evt_ep1_1", "evt_ep1_1", "evt_ep1_2"])
        #expect(try outbox.scalar("SELECT attempts FROM hook_outbox WHERE event = 'evt_ep1_1'") ?? 0 >= 6)
    }

    @Test func retryAfterSetsTheNextAttempt() async throws {
        let port = try freePort()
        let outbox = try Outbox(hooks: [HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(port)/")])
        defer { outbox.dir.cleanup() }
        let receiver = try await Peer.receiver(port: port, extra: ["--script", "429:3600"])
        defer { receiver.stop() }
        try outbox.enqueue([event()])
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                settings: quick))
        try await waitUntil("the 429") { try outbox.scalar("SELECT attempts FROM hook_outbox") == 1 }
        task.cancel()
        await task.value
        // Retry-After: 3600 moved the next attempt an hour on, not the 50 ms back-off.
        let next = try #require(
            try outbox.scalar("SELECT next_attempt - (SELECT last_error_at FROM hook_state) FROM hook_outbox"))
        #expect(next >= 3_599_000_000 && next <= 3_601_000_000)
        #expect(try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'pending'") == 1)
    }

    @Test func aRedirectIsNotFollowedButRetried() async throws {
        let port = try freePort()
        let outbox = try Outbox(hooks: [HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(port)/")])
        defer { outbox.dir.cleanup() }
        let log = outbox.dir.file("log.jsonl")
        let receiver = try await Peer.receiver(port: port, log: log, extra: ["--script", "302"])
        defer { receiver.stop() }
        try outbox.enqueue([event()])
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                settings: quick))
        try await waitUntil("the delivery after the 302") {
            try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'delivered'") == 1
        }
        task.cancel()
        await task.value
        #expect(records(log).map { $0["step"] as? String } == ["302", "ok"])
        #expect(try outbox.connection().text("SELECT last_error FROM hook_state")?.contains("HTTP 302") == true)
    }

    @Test func goneDisablesTheHookAndRaisesAnAlarmToTheOthers() async throws {
        let port = try freePort()
        let auditPort = try freePort()
        let outbox = try Outbox(hooks: [
            HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(port)/"),
            HookConfig(name: "audit", kind: .webhook, url: "http://127.0.0.1:\(auditPort)/"),
        ])
        defer { outbox.dir.cleanup() }
        let auditLog = outbox.dir.file("audit.jsonl")
        let receiver = try await Peer.receiver(port: port, extra: ["--script", "410"])
        defer { receiver.stop() }
        let audit = try await Peer.receiver(port: auditPort, log: auditLog)
        defer { audit.stop() }
        try outbox.enqueue([event(seq: 1), event(seq: 2)], onlyHook: "ops")
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                settings: quick))
        try await waitUntil("the system alarm at the other hook") { !records(auditLog).isEmpty }
        task.cancel()
        await task.value
        #expect(try outbox.scalar("SELECT disabled FROM hook_state WHERE hook = 'ops'") == 1)
        let alarm = try #require(AlarmEvent(json: Array((records(auditLog)[0]["body"] as? String ?? "").utf8)))
        #expect(alarm.alarm == "kiln/hook/ops")
        #expect(alarm.kind == .system)
        #expect(alarm.transition == .activated)
        // Nothing more went to the disabled hook: both its rows wait, for `kiln hooks enable`.
        #expect(try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE hook = 'ops' AND state = 'pending'") == 2)
        let status = try OutboxStore(path: outbox.path).status(hooks: ["ops", "audit"])
        #expect(status.first { $0.hook == "ops" }?.disabled == true)
        #expect(status.first { $0.hook == "ops" }?.lastError?.contains("410") == true)
    }

    @Test func aReceiverDownForTheWholeRunGetsEveryEventWhenItReturns() async throws {
        let port = try freePort()
        // async-http-client keeps trying to connect until the attempt's timeout: a short one, so
        // the attempts while it is down come often.
        let outbox = try Outbox(hooks: [
            HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(port)/", timeout: .milliseconds(300))
        ])
        defer { outbox.dir.cleanup() }
        let log = outbox.dir.file("log.jsonl")
        var events: [AlarmEvent] = []
        for seq in 1...10 {
            for episode in ["a", "b", "c", "d", "e"] { events.append(event(episode: episode, seq: seq)) }
        }
        try outbox.enqueue(events)
        let bell = OutboxDoorbell()
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: bell, logger: testLogger, settings: quick))
        defer { task.cancel() }
        try await waitUntil("retries at the back-off cap") {
            try outbox.scalar("SELECT max(attempts) FROM hook_outbox") ?? 0 >= 5
        }
        // More events while it is down, rung like the engine does.
        try outbox.enqueue((11...12).map { event(episode: "a", seq: $0) })
        bell.ring()
        let receiver = try await Peer.receiver(port: port, log: log)
        defer { receiver.stop() }
        try await waitUntil("all 52 delivered") {
            try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'delivered'") == 52
        }
        task.cancel()
        await task.value
        let ids = records(log).compactMap { $0["id"] as? String }
        #expect(Set(ids) == Set((events + (11...12).map { event(episode: "a", seq: $0) }).map(\.id)))
        for episode in ["a", "b", "c", "d", "e"] {
            let seqs = ids.filter { $0.hasPrefix("evt_\(episode)_") }.compactMap { Int($0.split(separator: "_")[2]) }
            #expect(seqs == seqs.sorted(), "episode \(episode) out of order: \(seqs)")
        }
    }

    @Test func aStoppedServiceRestartedDeliversTheRestWithTheSameIds() async throws {
        let port = try freePort()
        let outbox = try Outbox(hooks: [HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(port)/")])
        defer { outbox.dir.cleanup() }
        let log = outbox.dir.file("log.jsonl")
        // Each answer takes 10 ms, so the stop lands mid-way.
        let receiver = try await Peer.receiver(
            port: port, log: log, extra: ["--script", Array(repeating: "slow:0.01", count: 400).joined(separator: ",")])
        defer { receiver.stop() }
        let events = (1...300).map { event(episode: "ep\($0 % 7)", seq: $0) }
        try outbox.enqueue(events)
        let first = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                settings: quick))
        try await waitUntil("some deliveries") { records(log).count >= 40 }
        first.cancel()
        await first.value
        let pendingAfterStop = try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'pending'") ?? 0
        #expect(pendingAfterStop > 0)
        let second = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                settings: quick))
        try await waitUntil("the rest delivered") {
            try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'delivered'") == 300
        }
        second.cancel()
        await second.value
        let got = records(log)
        #expect(Set(got.compactMap { $0["id"] as? String }) == Set(events.map(\.id)))
        // Every delivery, duplicates included, carries its event's own id as webhook-id.
        for record in got {
            let body = AlarmEvent(json: Array((record["body"] as? String ?? "").utf8))
            #expect(body?.id == record["id"] as? String)
        }
    }

    @Test func eventsPastMaxAgeBecomeDeadLetters() async throws {
        let port = try freePort()
        let outbox = try Outbox(hooks: [
            HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(port)/", maxAge: .seconds(3600))
        ])
        defer { outbox.dir.cleanup() }
        let now = WallClock.epochMicroseconds()
        try outbox.enqueue([event(seq: 1, time: now - 7_200_000_000), event(seq: 2, time: now)])
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                settings: quick))
        try await waitUntil("the dead letter") {
            try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'dead'") == 1
        }
        task.cancel()
        await task.value
        let dead = try OutboxStore(path: outbox.path).deadLetters(hook: "ops")
        #expect(dead.map(\.row.event) == ["evt_ep1_1"])
        #expect(try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'pending'") == 1)

        // The CLI shows it.
        let (status, text, _) = try await runKiln(["hooks", "status", "--db", outbox.path, "--dead"])
        #expect(status == 0)
        #expect(text.contains("ops: enabled, 1 pending"))
        #expect(text.contains("1 dead"))
        #expect(text.contains("ops evt_ep1_1"))
    }
}
