import Foundation
import KilnAlarms
import KilnCore
import KilnHooks
import KilnTestSupport
import Testing

@Suite struct HookCommandTests {
    @Test func aTestEventIsSignedDeliveredAndAnswered() async throws {
        let port = try freePort()
        let secret = "whsec_dGVzdCBrZXkgZm9yIGtpbG4gaG9va3MgdGVzdA=="
        let outbox = try Outbox(hooks: [
            HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(port)/", secret: .environment("S")),
            HookConfig(name: "other", kind: .webhook, url: "http://127.0.0.1:1/"),
        ])
        defer { outbox.dir.cleanup() }
        let log = outbox.dir.file("log.jsonl")
        let receiver = try await Peer.receiver(port: port, log: log, extra: ["--secret", secret])
        defer { receiver.stop() }
        let result = try await HookTestRun.run(
            name: "ops", hooks: outbox.hooks, databasePath: outbox.path, wait: .zero, environment: ["S": secret])
        #expect(!result.byGateway)
        #expect(result.answer == "HTTP 200 ok")
        let got = records(log)
        #expect(got.count == 1)
        #expect(got.first?["verified"] as? Bool == true)
        #expect(AlarmEvent(json: Array((got.first?["body"] as? String ?? "").utf8))?.transition == .test)
        // For that hook only, and marked delivered.
        #expect(try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE hook = 'other'") == 0)
        #expect(try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE hook = 'ops' AND state = 'delivered'") == 1)
    }

    @Test func aRunningSenderDeliversTheTestEventInstead() async throws {
        let port = try freePort()
        let outbox = try Outbox(hooks: [HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(port)/")])
        defer { outbox.dir.cleanup() }
        let receiver = try await Peer.receiver(port: port)
        defer { receiver.stop() }
        // The gateway's sender runs with its usual idle poll: it finds a row another process wrote.
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                settings: DeliverySettings(idlePoll: .milliseconds(200))))
        defer { task.cancel() }
        let result = try await HookTestRun.run(
            name: "ops", hooks: outbox.hooks, databasePath: outbox.path, wait: .seconds(120))
        #expect(result.byGateway)
    }

    @Test func anUnknownHookNamesTheNearOnes() throws {
        let hooks = [
            HookConfig(name: "ops-pager", kind: .webhook, url: "http://x/"),
            HookConfig(name: "audit", kind: .webhook, url: "http://x/"),
        ]
        do {
            _ = try HookTestRun.hook(named: "ops-pagr", in: hooks)
            Issue.record("an unknown hook was found")
        } catch {
            #expect(error.message == "unknown hook 'ops-pagr'; did you mean 'ops-pager'?")
        }
        do {
            _ = try HookTestRun.hook(named: "zzzzzzzzzz", in: hooks)
            Issue.record("an unknown hook was found")
        } catch {
            #expect(error.message == "unknown hook 'zzzzzzzzzz'; the hooks are: ops-pager, audit")
        }
    }

    @Test func theCLIExitsOneOnAnUnknownHookAndAMissingDatabase() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        func kiln(_ arguments: [String]) async throws -> (status: Int32, stderr: String) {
            let result = try await runKiln(arguments)
            return (result.status, result.stderr)
        }
        let unknown = try await kiln(["hooks", "test", "ops", "--db", dir.file("k.sqlite"), "--wait", "0s"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown hook 'ops'"))
        let missing = try await kiln(["hooks", "status", "--db", dir.file("none.sqlite")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no database at"))
        let neither = try await kiln(["hooks", "status"])
        #expect(neither.status == 1)
    }
}
