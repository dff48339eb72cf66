import Foundation
import KilnAlarms
import KilnCore
import KilnHooks
import KilnTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ExecTests {
    func row(_ e: AlarmEvent) -> OutboxRow {
        OutboxRow(
            id: 1, hook: "x", event: e.id, episode: e.episode, created: e.time, body: e.json(), attempts: 0,
            nextAttempt: e.time)
    }

    /// Whether `pid` is gone (or a zombie nobody reaped: it runs no more).
    func dead(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        guard let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }

    @Test func aProgramHangingPastTheTimeoutIsKilledWithItsGroup() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let pidFile = dir.file("grandchild")
        // The program forks a grandchild that would sleep for five minutes, then waits.
        let sender = ExecSender(
            hook: "x", command: ["/bin/sh", "-c", "sleep 300 & echo $! > \(pidFile); wait"],
            timeout: .milliseconds(300))
        let outcome = await sender.deliver(row(event()), now: WallClock.epochMicroseconds())
        guard case .retry(let error, _) = outcome else {
            Issue.record("a hung program counted as delivered: \(outcome)")
            return
        }
        #expect(error.contains("timed out"))
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let grandchild = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        try await waitUntil("the grandchild's death", timeout: .seconds(5)) { dead(grandchild) }
        #expect(dead(grandchild))
    }

    @Test func shellMetacharactersInTheEventReachTheProgramLiterally() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let out = dir.file("stdin")
        let pwned = dir.file("pwned")
        let e = event(
            episode: "ep$(touch \(pwned))",
            message: "; touch \(pwned); `touch \(pwned)` $(touch \(pwned)) | & > < '\" *")
        let sender = ExecSender(
            hook: "x",
            command: [
                "/usr/bin/python3", "-c",
                "import os,sys; open(sys.argv[1],'wb').write(sys.stdin.buffer.read()); print(os.environ['KILN_EPISODE'])",
                out,
            ],
            timeout: .seconds(10))
        let outcome = await sender.deliver(row(e), now: WallClock.epochMicroseconds())
        #expect(outcome == .delivered(answer: "ep$(touch \(pwned))\n"))
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: out))) == e.json())
        #expect(!FileManager.default.fileExists(atPath: pwned))
    }

    @Test func aNonZeroExitIsRetriedWithItsStderr() async throws {
        let sender = ExecSender(
            hook: "x", command: ["/bin/sh", "-c", "cat >/dev/null; echo broken >&2; exit 3"], timeout: .seconds(10))
        let outcome = await sender.deliver(row(event()), now: WallClock.epochMicroseconds())
        #expect(outcome == .retry(error: "exit status 3. stderr: broken\n", retryAfter: nil))
        let missing = ExecSender(hook: "x", command: ["/nonexistent/program"], timeout: .seconds(1))
        guard case .retry(let error, _) = await missing.deliver(row(event()), now: 0) else {
            Issue.record("a missing program counted as delivered")
            return
        }
        #expect(error.contains("/nonexistent/program"))
    }

    @Test func anExecHookDeliversThroughTheService() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let out = dir.file("events")
        let outbox = try Outbox(hooks: [
            HookConfig(name: "run", kind: .exec, command: ["/bin/sh", "-c", "cat >> \(out); echo >> \(out)"])
        ])
        defer { outbox.dir.cleanup() }
        try outbox.enqueue([event(seq: 1), event(seq: 2)])
        let task = start(
            try HookDeliveryService(
                hooks: outbox.hooks, databasePath: outbox.path, doorbell: OutboxDoorbell(), logger: testLogger,
                settings: quick))
        try await waitUntil("2 runs") {
            try outbox.scalar("SELECT count(*) FROM hook_outbox WHERE state = 'delivered'") == 2
        }
        task.cancel()
        await task.value
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.compactMap { AlarmEvent(json: Array($0.utf8))?.id } == ["evt_ep1_1", "evt_ep1_2"])
    }
}
