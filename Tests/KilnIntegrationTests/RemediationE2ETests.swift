import Foundation
import KilnTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 13's must-shows as a user runs them: `kiln simulate` plays the plant, `kiln run` polls
/// it with a `remediation:` block, a real sshd started by the test is the host, and the remote
/// command is tools/testpeers/argv_recorder.py, which records each run's argv on the far side.
/// The queue and the audit log are read from the SQLite file by the sqlite3 CLI; approvals and
/// the chain check go through `kiln remediation`.
@Suite struct RemediationE2ETests {
    static let alarm = "oven-1/temp/high"
    /// The audit outcomes that end a run on the host.
    static let ended: Set<String> = ["succeeded", "failed", "timed_out", "refused_host_key"]

    // MARK: - Must show: a changed host key is refused and nothing runs

    /// A pinned key that is not the host's (`changed`), or no key pinned for it (`unknown`).
    @Test(arguments: ["changed", "unknown"])
    func aChangedOrUnknownHostKeyIsRefusedWithTheOfferedFingerprintAndNothingRuns(_ pin: String) async throws {
        let r = try RemediationRig()
        defer { r.cleanup() }
        let knownHosts: String
        if pin == "changed" {
            knownHosts = try r.server.knownHostsWithDifferentKey()
        } else {
            // The host's own key, pinned for another port only: this host:port has no key pinned.
            // (An empty file is refused at start, by `kiln run` and `kiln check`.)
            let line = try String(contentsOfFile: r.server.knownHosts, encoding: .utf8)
            knownHosts = r.rig.file("known_hosts_other_port")
            try line.replacing("]:\(r.server.port) ", with: "]:\(r.server.port + 1) ")
                .write(toFile: knownHosts, atomically: false, encoding: .utf8)
        }
        try r.write(
            map: RemediationRig.map(port: try Loopback.unusedPort()), mode: "enforce",
            command: try r.recorderCommand(["ran"]), rule: ["max_attempts: 3", "retry_delay: 100ms"],
            knownHosts: knownHosts)
        let sim = try await r.rig.simulator()
        defer { sim.stop() }
        let gateway = try r.rig.gateway()
        try await r.waitFor("the run ended", while: gateway) {
            try await r.auditOutcomes().contains(where: Self.ended.contains)
        }
        let outcomes = try await r.auditOutcomes()
        try #require(outcomes.contains("refused_host_key"), "\(outcomes)")
        // The gateway raises the host key alarm right after the refusal's audit entry.
        try await r.waitFor("the host key alarm raised", while: gateway, timeout: .seconds(30)) {
            try await r.rig.count(
                """
                SELECT count(*) FROM alarm_history
                WHERE alarm = 'kiln/remediation/host-key/box' AND transition = 'activated'
                """) == 1
        }
        #expect(try await r.stop(gateway) == .exited(0), Comment(rawValue: gateway.stderr.text))

        let audit = try await r.audit()
        let refused = audit.filter { $0["outcome"] as? String == "refused_host_key" }
        // Refused once: a changed key is not a failure to retry.
        #expect(refused.count == 1, "\(audit)")
        let entry = try #require(refused.first)
        #expect(entry["fingerprint"] as? String == r.server.fingerprint, "\(entry)")
        #expect(entry["host"] as? String == "box")
        let detail = entry["detail"] as? String ?? ""
        #expect(detail.contains(r.server.fingerprint), "\(entry)")
        #expect(detail.contains(pin == "changed" ? "has CHANGED" : "is unknown"), "\(entry)")
        #expect(!audit.contains { $0["outcome"] as? String == "succeeded" })
        // Nothing ran on the host.
        #expect(!FileManager.default.fileExists(atPath: r.recorded), "\(r.runs)")
    }

    // MARK: - Must show: hostile values arrive as literal arguments

    @Test func hostileValuesArriveAsOneLiteralArgumentEach() async throws {
        let r = try RemediationRig()
        defer { r.cleanup() }
        let touch = r.injected
        let hostile = [
            "{device}", "{tag}", "{alarm}", "{value}", "{episode}", "a;b", "$(touch \(touch))", "`touch \(touch)`",
            "it's \"quoted\"", "two  spaces ", "line one\nline two", "> \(touch)", "| cat", "&& touch \(touch)", "*",
            "~", "$HOME", "\\", "", "{{device}}", "-v", "--", "oven-{device}:{value};{tag}$(id)",
        ]
        try r.write(
            map: RemediationRig.map(port: try Loopback.unusedPort()), mode: "enforce",
            command: try r.recorderCommand(hostile))
        let sim = try await r.rig.simulator()
        defer { sim.stop() }
        let gateway = try r.rig.gateway()
        try await r.waitFor("the run ended", while: gateway) {
            try await r.auditOutcomes().contains(where: Self.ended.contains)
        }
        #expect(try await r.stop(gateway) == .exited(0), Comment(rawValue: gateway.stderr.text))

        let run = try #require(try await r.queue().first)
        let episode = try #require(run["episode"] as? String)
        let expected = [
            "oven-1", "temp", Self.alarm, "90", episode, "a;b", "$(touch \(touch))", "`touch \(touch)`",
            "it's \"quoted\"", "two  spaces ", "line one\nline two", "> \(touch)", "| cat", "&& touch \(touch)", "*",
            "~", "$HOME", "\\", "", "{device}", "-v", "--", "oven-oven-1:90;temp$(id)",
        ]
        let runs = r.runs
        #expect(runs.count == 1, "\(runs)")
        #expect(runs.first == expected)
        #expect(!FileManager.default.fileExists(atPath: touch))
        // The audit records exactly the argv that ran (after the recorder's own options).
        let entry = try #require(try await r.audit().first { $0["outcome"] as? String == "succeeded" })
        let argvText = try #require(entry["argv"] as? String)
        let argv = try #require(try JSONSerialization.jsonObject(with: Data(argvText.utf8)) as? [String])
        #expect(Array(argv.suffix(expected.count)) == expected)
        #expect(entry["fingerprint"] as? String == r.server.fingerprint)
        #expect(entry["exit_code"] as? Int == 0)
    }

    // MARK: - Must show: cooldown, max_attempts and the breaker hold under a flapping alarm

    @Test func theHourlyBreakerHoldsAFlappingAlarmToMaxPerHourRuns() async throws {
        let r = try RemediationRig()
        defer { r.cleanup() }
        try r.write(
            map: RemediationRig.map(port: try Loopback.unusedPort(), period: "2s"), mode: "enforce",
            command: try r.recorderCommand(["{episode}"]), rule: ["cooldown: 0s"], maxPerHour: 3)
        let sim = try await r.rig.simulator()
        defer { sim.stop() }
        let gateway = try r.rig.gateway()
        try await r.waitFor("the breaker open and two more episodes after it", while: gateway) {
            guard try await r.auditOutcomes().contains("breaker_opened") else { return false }
            let episodes = try await r.queue().count
            return episodes >= 6
        }
        #expect(try await r.stop(gateway) == .exited(0), Comment(rawValue: gateway.stderr.text))

        let queue = try await r.queue()
        let started = queue.filter { $0["started"] is Int }
        // Exactly max_per_hour runs, on the host and in the file, each in its own episode.
        #expect(r.runs.count == 3, "\(r.runs)")
        #expect(started.count == 3, "\(queue)")
        #expect(Set(r.runs.map { $0.last ?? "" }) == Set(started.compactMap { $0["episode"] as? String }))
        let outcomes = try await r.auditOutcomes()
        #expect(outcomes.filter { $0 == "succeeded" }.count == 3, "\(outcomes)")
        #expect(outcomes.filter { $0 == "breaker_opened" }.count == 1, "\(outcomes)")
        // Every run that did not start is still held, or was held (by the breaker, or behind the
        // host's one concurrent run on a slow machine) and cancelled when its episode ended.
        #expect(
            queue.filter { !($0["started"] is Int) }.allSatisfy { run in
                run["outcome"] as? String == "cancelled" || run["state"] as? String == "queued"
            }, "\(queue)")
        #expect(
            try await r.rig.count(
                """
                SELECT count(*) FROM alarm_history
                WHERE alarm = 'kiln/remediation/breaker' AND transition = 'activated'
                """) == 1)
    }

    @Test func aLongCooldownLetsOnlyTheFirstEpisodeRun() async throws {
        let r = try RemediationRig()
        defer { r.cleanup() }
        try r.write(
            map: RemediationRig.map(port: try Loopback.unusedPort(), period: "2s"), mode: "enforce",
            command: try r.recorderCommand(["{episode}"]), rule: ["cooldown: 10m"])
        let sim = try await r.rig.simulator()
        defer { sim.stop() }
        let gateway = try r.rig.gateway()
        try await r.waitFor("three episodes with a run each in the queue", while: gateway) {
            let queue = try await r.queue()
            return queue.count >= 3 && queue.prefix(3).allSatisfy { $0["state"] as? String == "done" }
        }
        #expect(try await r.stop(gateway) == .exited(0), Comment(rawValue: gateway.stderr.text))

        let queue = try await r.queue()
        #expect(r.runs.count == 1, "\(r.runs)")
        let first = try #require(queue.first)
        #expect(first["outcome"] as? String == "succeeded", "\(queue)")
        let firstStart = try #require(first["started"] as? Int)
        // The later episodes' runs were due no earlier than the cooldown allows, never started,
        // and were cancelled when their episodes ended.
        for row in queue.dropFirst() {
            #expect(row["started"] == nil || row["started"] is NSNull, "\(row)")
            let due = try #require(row["due"] as? Int)
            #expect(due >= firstStart + 600_000_000, "\(row)")
        }
        #expect(queue.dropFirst().prefix(2).allSatisfy { $0["outcome"] as? String == "cancelled" }, "\(queue)")
    }

    @Test func aFailingCommandIsTriedMaxAttemptsTimesWithBackOff() async throws {
        let r = try RemediationRig()
        defer { r.cleanup() }
        try r.write(
            map: RemediationRig.map(port: try Loopback.unusedPort()), mode: "enforce",
            command: try r.recorderCommand(["{episode}"], exit: 3),
            rule: ["cooldown: 0s", "max_attempts: 3", "retry_delay: 200ms"])
        let sim = try await r.rig.simulator()
        defer { sim.stop() }
        let gateway = try r.rig.gateway()
        try await r.waitFor("three failed attempts", while: gateway) {
            try await r.auditOutcomes().filter { $0 == "failed" }.count >= 3
        }
        // Time for a fourth attempt, were one allowed (the back-off would be 800 ms).
        try await Task.sleep(for: .seconds(2))
        #expect(try await r.stop(gateway) == .exited(0), Comment(rawValue: gateway.stderr.text))

        #expect(r.runs.count == 3, "\(r.runs)")
        #expect(Set(r.runs.map { $0.last ?? "" }).count == 1, "one episode: \(r.runs)")
        let queue = try await r.queue()
        #expect(queue.map { $0["attempt"] as? Int } == [1, 2, 3], "\(queue)")
        #expect(queue.allSatisfy { $0["outcome"] as? String == "failed" }, "\(queue)")
        let outcomes = try await r.auditOutcomes()
        #expect(outcomes.filter { $0 == "failed" }.count == 3, "\(outcomes)")
        #expect(
            try await r.audit().filter { $0["outcome"] as? String == "failed" }.allSatisfy {
                $0["exit_code"] as? Int == 3
            })
        // Back-off: retry_delay, then doubled; a retry never starts before its delay.
        for i in 1..<queue.count {
            let ended = try #require(queue[i - 1]["ended"] as? Int)
            let started = try #require(queue[i]["started"] as? Int)
            #expect(started - ended >= 200_000 << (i - 1), "\(queue)")
        }
    }

    // MARK: - Must show: dry-run executes nothing; an edited audit row breaks the chain there

    @Test func dryRunExecutesNothingAndAnEditedAuditRowBreaksTheChain() async throws {
        let r = try RemediationRig()
        defer { r.cleanup() }
        try r.write(
            map: RemediationRig.map(port: try Loopback.unusedPort()), mode: "dry-run",
            command: try r.recorderCommand(["restart", "loop@{device}", "{alarm}; $(touch \(r.injected))"]))
        let sim = try await r.rig.simulator()
        defer { sim.stop() }
        let gateway = try r.rig.gateway()
        try await r.waitFor("the dry run audited", while: gateway) {
            let outcomes = try await r.auditOutcomes()
            return outcomes.contains("dry_run") || outcomes.contains(where: Self.ended.contains)
        }
        // A moment for anything that would wrongly run it.
        try await Task.sleep(for: .seconds(1))
        #expect(try await r.stop(gateway) == .exited(0), Comment(rawValue: gateway.stderr.text))

        #expect(!FileManager.default.fileExists(atPath: r.recorded), "\(r.runs)")
        #expect(!FileManager.default.fileExists(atPath: r.injected))
        let audit = try await r.audit()
        let dry = try #require(audit.first { $0["outcome"] as? String == "dry_run" })
        let argvText = try #require(dry["argv"] as? String)
        let argv = try #require(try JSONSerialization.jsonObject(with: Data(argvText.utf8)) as? [String])
        #expect(argv == (try r.recorderCommand(["restart", "loop@oven-1", "\(Self.alarm); $(touch \(r.injected))"])))
        #expect(dry["fingerprint"] == nil || dry["fingerprint"] is NSNull)
        #expect(try await r.queue().map { $0["outcome"] as? String } == ["dry_run"])

        let holds = try await r.remediation(["audit", "--verify"])
        #expect(holds.status == .exited(0), "\(holds.stderr)")
        #expect(holds.stdout.contains("audit chain holds"), "\(holds.stdout)")
        let seq = try #require(dry["seq"] as? Int)
        _ = try await runTool([
            try RigTool.require(RigTool.sqlite3, package: "sqlite3"), r.rig.database,
            "UPDATE remediation_audit SET argv = '[\"true\"]' WHERE seq = \(seq)",
        ])
        let broken = try await r.remediation(["audit", "--verify"])
        #expect(broken.status == .exited(1), "\(broken.stdout)\(broken.stderr)")
        #expect(broken.stderr.contains("audit chain BROKEN at entry \(seq)"), "\(broken.stderr)")
    }

    // MARK: - Must show: a queued run survives kill -9 and runs exactly once

    @Test func aRunAwaitingApprovalSurvivesKill9AndRunsExactlyOnce() async throws {
        let r = try RemediationRig()
        defer { r.cleanup() }
        try r.write(
            map: RemediationRig.map(port: try Loopback.unusedPort()), mode: "approve",
            command: try r.recorderCommand(["{episode}"]))
        let sim = try await r.rig.simulator()
        defer { sim.stop() }

        let first = try r.rig.gateway()
        var listed = ""
        try await r.waitFor("a run awaiting approval in kiln remediation list", while: first) {
            guard try await !r.queue().isEmpty else { return false }
            listed = try await r.remediation(["list"]).stdout
            return listed.contains("awaiting_approval")
        }
        let run = try #require(try await r.queue().first)
        let id = try #require(run["id"] as? Int)
        let episode = try #require(run["episode"] as? String)
        #expect(listed.contains("#\(id)  awaiting_approval  fix -> box"), "\(listed)")
        kill(first.pid, SIGKILL)
        #expect(try await first.exited() == .signaled(SIGKILL))
        #expect(!FileManager.default.fileExists(atPath: r.recorded))

        // The restarted gateway polls again (new samples), and the run still waits, the only one.
        let second = try r.rig.gateway()
        let samples = try await r.rig.count("SELECT count(*) FROM samples")
        try await r.waitFor("the restarted gateway storing samples", while: second) {
            try await r.rig.count("SELECT count(*) FROM samples") > samples + 5
        }
        let waiting = try await r.remediation(["list"])
        #expect(waiting.stdout.contains("#\(id)  awaiting_approval"), "\(waiting.stdout)")
        #expect(try await r.queue().count == 1)
        #expect(!FileManager.default.fileExists(atPath: r.recorded))

        let approved = try await r.remediation(["approve", "\(id)", "--note", "e2e"])
        try #require(approved.status == .exited(0), "\(approved.stderr)")
        try await r.waitFor("the approved run done", while: second) {
            try await r.queue().first?["outcome"] as? String == "succeeded"
        }
        #expect(try await r.stop(second) == .exited(0), Comment(rawValue: second.stderr.text))

        // A third start on the same file, the alarm still active in the same episode: no second run.
        let third = try r.rig.gateway()
        let before = try await r.rig.count("SELECT count(*) FROM samples")
        try await r.waitFor("the third gateway storing samples", while: third) {
            try await r.rig.count("SELECT count(*) FROM samples") > before + 5
        }
        #expect(try await r.stop(third) == .exited(0), Comment(rawValue: third.stderr.text))

        let state = await r.state()
        #expect(r.runs == [[episode]], "\(state)")
        let queue = try await r.queue()
        #expect(queue.count == 1, "\(queue)")
        let outcomes = try await r.auditOutcomes()
        #expect(outcomes == ["approved", "succeeded"], "\(outcomes)")
        #expect(try await r.remediation(["audit", "--verify"]).status == .exited(0))
    }

    // MARK: - A run cut short by kill -9 is recorded interrupted and not run again blindly

    @Test func aRunCutShortByKill9IsInterruptedAndNotRepeated() async throws {
        let r = try RemediationRig()
        defer { r.cleanup() }
        // The remote command records itself, then takes 30 s (a window the wait below cannot
        // miss on a loaded machine): the gateway dies while it runs.
        try r.write(
            map: RemediationRig.map(port: try Loopback.unusedPort()), mode: "enforce",
            command: try r.recorderCommand(["{episode}"], sleep: 30), rule: ["max_attempts: 3", "retry_delay: 100ms"])
        let sim = try await r.rig.simulator()
        defer { sim.stop() }

        let first = try r.rig.gateway()
        try await r.waitFor("the command running on the host", while: first) {
            guard !r.runs.isEmpty else { return false }
            return try await r.queue().first?["state"] as? String == "running"
        }
        kill(first.pid, SIGKILL)
        #expect(try await first.exited() == .signaled(SIGKILL))

        let second = try r.rig.gateway()
        try await r.waitFor("the run recorded interrupted", while: second) {
            try await r.queue().first?["outcome"] as? String == "interrupted"
        }
        // Long enough for a retry (100 ms back-off) to have run, were one queued.
        let samples = try await r.rig.count("SELECT count(*) FROM samples")
        try await r.waitFor("the restarted gateway storing samples", while: second) {
            try await r.rig.count("SELECT count(*) FROM samples") > samples + 10
        }
        #expect(try await r.stop(second) == .exited(0), Comment(rawValue: second.stderr.text))

        let queue = try await r.queue()
        #expect(queue.count == 1, "\(queue)")
        #expect(r.runs.count == 1, "\(r.runs)")
        let outcomes = try await r.auditOutcomes()
        #expect(outcomes == ["interrupted"], "\(outcomes)")
        let entry = try #require(try await r.audit().first)
        #expect((entry["detail"] as? String)?.contains("Kiln stopped while it ran") == true, "\(entry)")
    }

    // MARK: - Verify after acting: ineffective, escalated through the hooks

    @Test func aFixThatDoesNotHoldIsIneffectiveAndEscalatedToTheWebhook() async throws {
        let r = try RemediationRig()
        defer { r.cleanup() }
        let hookPort = try Loopback.unusedPort()
        try r.write(
            map: RemediationRig.map(port: try Loopback.unusedPort()), mode: "enforce",
            command: try r.recorderCommand(["{episode}"]),
            rule: ["verify: { tag: oven-1/temp, below: 50, within: 500ms }"],
            hooks: AlarmRig.webhook(port: hookPort))
        let receiver = try await HookReceiver(port: hookPort, secret: r.rig.secret, log: r.rig.file("received.jsonl"))
        defer { receiver.stop() }
        let sim = try await r.rig.simulator()
        defer { sim.stop() }
        let gateway = try r.rig.gateway()
        try await r.waitFor("an escalation at the webhook", while: gateway) {
            receiver.events.contains { $0.transition == "escalation" }
        }
        #expect(try await r.stop(gateway) == .exited(0), Comment(rawValue: gateway.stderr.text))

        let run = try #require(try await r.queue().first)
        let episode = try #require(run["episode"] as? String)
        #expect(run["outcome"] as? String == "ineffective", "\(run)")
        #expect(r.runs == [[episode]])
        #expect(try await r.auditOutcomes() == ["succeeded", "ineffective"])
        let escalation = try #require(receiver.events.first { $0.transition == "escalation" })
        #expect(escalation.alarm == Self.alarm)
        #expect(escalation.episode == episode)
        #expect(escalation.verified)
        #expect(escalation.note?.contains("ineffective") == true, "\(escalation.bodyText)")
    }
}
