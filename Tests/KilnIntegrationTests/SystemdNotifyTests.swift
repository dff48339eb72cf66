import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `kiln run` under a fake systemd: the test binds the NOTIFY_SOCKET datagram socket and reads
/// what the real binary sends while it polls `kiln simulate`.
struct SystemdNotifyTests {
    /// READY=1 with a status, STATUS= updates, WATCHDOG=1 about every half WATCHDOG_USEC; a
    /// poller thread stopped for real (ptrace) withholds the pings while the status goes on
    /// saying why, they resume when it runs again, and SIGTERM sends STOPPING=1.
    @Test func readyStatusAndWatchdogPingsThatStopWhenThePollerHangs() throws {
        let rig = try ServiceRig()
        defer { rig.stop() }
        let socket = try NotifySocket(name: rig.directory.path + "/notify.sock")
        defer { socket.close() }
        let watchdog = Duration.seconds(2)
        let gateway = try rig.gateway(environment: [
            "NOTIFY_SOCKET": socket.name, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "$$",
        ])
        defer { gateway.stop() }
        func context() -> Comment {
            gateway.waitForOutput(timeout: .milliseconds(100))
            return Comment(
                rawValue: "messages: \(socket.messages.map(\.lines))\n--- kiln stderr\n\(gateway.stderr.text)")
        }

        let ready = try #require(socket.waitFor("READY=1", timeout: .seconds(60)), context())
        #expect(ready.message.status == "polling 1 device, 3 tags, 0 alarms active", context())

        // Pings at about the interval (half of WATCHDOG_USEC), each with the status.
        let pingsArrived = Poll.until(timeout: .seconds(30)) {
            socket.messages.filter { $0.has("WATCHDOG=1") }.count >= 5
        }
        try #require(pingsArrived, context())
        let pings = socket.messages.filter { $0.has("WATCHDOG=1") }
        #expect(pings.allSatisfy { $0.status?.hasPrefix("polling 1 device") == true }, context())
        let gaps = zip(pings.dropFirst(), pings).map { $0.at - $1.at }.sorted()
        let median = gaps[gaps.count / 2]
        #expect(median > watchdog / 4 && median < watchdog, "median gap \(median) for an interval of \(watchdog / 2)")

        // Stop the poller threads (only them: the rest of kiln runs on).
        let threads = ThreadFreezer.threads(of: gateway.pid, named: "kiln-poll")
        try #require(!threads.isEmpty, "no kiln-poll thread in /proc/\(gateway.pid)/task")
        let frozenAt = socket.messages.count
        let freezer = try ThreadFreezer(pid: gateway.pid, tids: threads)
        // The status says why, and keeps coming: the notifier is alive, only the pings stop.
        let stalled = Poll.until(timeout: .seconds(30)) {
            socket.messages[frozenAt...].filter { $0.status?.contains("poller thread stalled") == true }.count >= 3
        }
        let afterFreeze = Array(socket.messages[frozenAt...])
        freezer.release()
        try #require(stalled, context())
        let firstStalled = try #require(afterFreeze.firstIndex { $0.status?.contains("stalled") == true })
        #expect(
            !afterFreeze[firstStalled...].contains { $0.has("WATCHDOG=1") },
            "a ping while the poller was stopped: \(afterFreeze.map(\.lines))")
        // (The device's samples going stale may raise its alarm meanwhile: "1 alarm active".)
        let stalledStatus = afterFreeze[firstStalled].status ?? ""
        #expect(
            stalledStatus.hasPrefix("polling 1 device, 3 tags, ")
                && stalledStatus.hasSuffix("; 1 poller thread stalled"),
            "\(stalledStatus)")

        // Running again, the pings come back.
        let releasedAt = socket.messages.count
        #expect(socket.waitFor("WATCHDOG=1", after: releasedAt, timeout: .seconds(30)) != nil, context())

        let stoppingFrom = socket.messages.count
        let status = gateway.stop(grace: .seconds(30))
        #expect(status == .exited(0), context())
        #expect(socket.waitFor("STOPPING=1", after: stoppingFrom, timeout: .seconds(5)) != nil, context())
        #expect(gateway.stderr.text.contains("polling has stopped making progress"), context())
    }

    /// An abstract socket (`@name`) works like a path; a WATCHDOG_PID naming another process
    /// means the watchdog is not Kiln's: READY and STATUS come, no pings.
    @Test func abstractSocketAndAWatchdogForAnotherProcess() throws {
        let rig = try ServiceRig()
        defer { rig.stop() }
        let socket = try NotifySocket(name: "@kiln-test-\(UUID().uuidString)")
        defer { socket.close() }
        let gateway = try rig.gateway(environment: [
            "NOTIFY_SOCKET": socket.name, "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1",
        ])
        defer { gateway.stop() }
        let context = { Comment(rawValue: "messages: \(socket.messages.map(\.lines))\n\(gateway.stderr.text)") }
        try #require(socket.waitFor("READY=1", timeout: .seconds(60)) != nil, context())
        // Without a watchdog of its own the status comes every 5 s: READY's and two more.
        let statuses = Poll.until(timeout: .seconds(40)) { socket.messages.filter { $0.status != nil }.count >= 3 }
        #expect(statuses, context())
        #expect(!socket.messages.contains { $0.has("WATCHDOG=1") }, context())
        #expect(gateway.stop(grace: .seconds(30)) == .exited(0), context())
    }
}
