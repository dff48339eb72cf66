import Foundation
import KilnAlarms
import KilnCore
import KilnGateway
import KilnRemediation
import KilnSQLite
import Testing

@Suite(.serialized) struct ServiceRestartTests {
    @Test func approveModeWaitsAndAnApprovalFromAnotherConnectionRunsOnce() async throws {
        let p = try Plant()
        defer { p.close() }
        let (host, running) = try await p.startWithARunAwaitingApproval()
        await letTheEngineLook()
        #expect(host.count == 0)
        // As `kiln remediation approve` does: its own connection to the file.
        let cli = try Connection(path: p.path)
        try cli.execute("PRAGMA busy_timeout = 5000")
        let id = try #require(try p.rows().first?.id)
        try RunQueueOperators.approve(db: cli, id: id, by: "cli:root", now: p.clock.now.microseconds)
        #expect(try await waitUntil { try p.rows().first?.outcome == .succeeded })
        await letTheEngineLook()
        await running.stop()
        #expect(host.count == 1)
        #expect(try p.audit().map(\.outcome) == [.approved, .succeeded])
        #expect(try p.auditHolds())
    }

    @Test func aRejectedRunIsAuditedAndNeverRuns() async throws {
        let p = try Plant()
        defer { p.close() }
        let (host, running) = try await p.startWithARunAwaitingApproval()
        let id = try #require(try running.service.list().first?.id)
        let row = try running.service.reject(id: id, by: "api:ops", note: "not during the batch")
        #expect(row.outcome == .rejected)
        #expect(throws: RunQueueError.self) { try running.service.approve(id: id, by: "api:ops") }
        await letTheEngineLook()
        await running.stop()
        #expect(host.count == 0)
        let entry = try #require(try p.audit().last)
        #expect(entry.outcome == .rejected)
        #expect(entry.by == "api:ops")
        #expect(try p.auditHolds())
    }

    @Test func aQueuedRunSurvivesARestartAndRunsExactlyOnce() async throws {
        let p = try Plant()
        defer { p.close() }
        let host = FakeHost(clock: p.clock)
        let config = Plant.remediation(rules: [Plant.rule(persists: 10)])
        var running = try p.start(config, host)
        let a = try await p.activate(90)
        // Queued, not due yet: a previous run of the rule on this host holds it by the cooldown.
        try p.db.execute(
            """
            INSERT INTO remediation_runs (rule, host, alarm, episode, attempt, state, outcome, mode, argv, created,
                persisted_at, due, started, ended)
            VALUES ('restart-loop', 'chiller-ctl', '\(alarmPath)', 'old', 1, 'done', 'succeeded', 'enforce', '[]',
                \(a.since), \(a.since), \(a.since), \(a.since - s(800)), \(a.since - s(799)))
            """)
        p.clock.set(to: EpochInstant(microseconds: a.since + s(10)))
        #expect(try await waitUntil { try p.rows().count == 2 })
        #expect(try p.rows()[1].state == .queued)
        await running.stop()
        running = try p.start(config, host)
        await letTheEngineLook()
        #expect(host.count == 0)
        p.clock.set(to: EpochInstant(microseconds: a.since + s(100)))
        #expect(try await waitUntil { try p.rows()[1].outcome == .succeeded })
        await running.stop()
        // A third start finds nothing left to do.
        running = try p.start(config, host)
        await letTheEngineLook()
        await running.stop()
        #expect(host.count == 1)
        #expect(try p.auditHolds())
    }

    /// A row left `running` by a crash of Kiln.
    func crashedRun(_ p: Plant, episode: String, since: Int64) throws {
        _ = try RunStore(path: p.path)
        try p.db.execute(
            """
            INSERT INTO remediation_runs (rule, host, alarm, episode, attempt, state, mode, argv, created,
                persisted_at, due, started)
            VALUES ('restart-loop', 'chiller-ctl', '\(alarmPath)', '\(episode)', 1, 'running', 'enforce',
                '["systemctl","restart","loop@chiller-1"]', \(since), \(since), \(since), \(since))
            """)
    }

    @Test func aRunningRowAtStartIsInterruptedAndNotRunAgain() async throws {
        let p = try Plant()
        defer { p.close() }
        let host = FakeHost(clock: p.clock)
        let a = try await p.activate(90)
        p.clock.set(to: EpochInstant(microseconds: a.since + s(20)))
        try crashedRun(p, episode: a.episode, since: a.since + s(10))
        let running = try p.start(Plant.remediation(rules: [Plant.rule(persists: 10, maxAttempts: 3)]), host)
        #expect(try await waitUntil { try p.rows().first?.outcome == .interrupted })
        await p.set(to: a.since + s(5_000))
        await running.stop()
        #expect(host.count == 0)
        #expect(try p.rows().count == 1)
        #expect(try p.rows().first?.detail == "Kiln stopped while it ran")
        #expect(try p.audit().map(\.outcome) == [.interrupted])
    }

    @Test func aRunningRowAtStartIsRetriedOnceWhenItsRuleSaysSo() async throws {
        let p = try Plant()
        defer { p.close() }
        let host = FakeHost(clock: p.clock)
        let a = try await p.activate(90)
        p.clock.set(to: EpochInstant(microseconds: a.since + s(20)))
        try crashedRun(p, episode: a.episode, since: a.since + s(10))
        let rule = Plant.rule(persists: 10, maxAttempts: 3, retryDelay: 5, retryInterrupted: true)
        let running = try p.start(Plant.remediation(rules: [rule]), host)
        #expect(try await waitUntil { try p.rows().count == 2 })
        p.clock.set(to: EpochInstant(microseconds: a.since + s(25)))
        #expect(try await waitUntil { try p.rows().last?.outcome == .succeeded })
        await p.set(to: a.since + s(5_000))
        await running.stop()
        #expect(host.count == 1)
        #expect(try p.rows().map(\.attempt) == [1, 2])
        #expect(try p.audit().map(\.outcome) == [.interrupted, .succeeded])
    }

    func verifying(_ p: Plant, _ host: FakeHost) async throws -> (Running, RemediationSink, Int64, String) {
        let verify = RemediationVerify(
            device: "chiller-1", tag: "supply_temp", condition: .below(80), within: .seconds(600))
        let running = try p.start(Plant.remediation(rules: [Plant.rule(persists: 10, verify: verify)]), host)
        let sink = RemediationSink(service: running.service, config: p.config)
        let a = try await p.activate(90)
        let ended = a.since + s(10)
        p.clock.set(to: EpochInstant(microseconds: ended))
        #expect(try await waitUntil { try p.rows().first?.state == .verifying })
        #expect(try p.rows().first?.verifyUntil == ended + s(600))
        #expect(await waitUntil { running.service.isVerifying })
        return (running, sink, ended, a.episode)
    }

    func sample(_ value: Double, at time: Int64, status: StatusCode = .good) -> Sample {
        Sample(device: 0, tag: 0, value: .double(value), raw: .double(value), status: status, timestamp: time)
    }

    @Test func aGoodSampleBelowTheLimitVerifiesTheRun() async throws {
        let p = try Plant()
        defer { p.close() }
        let host = FakeHost(clock: p.clock)
        let (running, sink, ended, _) = try await verifying(p, host)
        // Not Good, or not past the limit: neither counts.
        _ = sink.consume([
            sample(70, at: ended + s(5), status: .uncertainLastUsableValue), sample(85, at: ended + s(6)),
        ])
        await letTheEngineLook()
        #expect(try p.rows().first?.state == .verifying)
        _ = sink.consume([sample(78.5, at: ended + s(7))])
        #expect(try await waitUntil { try p.rows().first?.outcome == .verified })
        await running.stop()
        #expect(try p.audit().map(\.outcome) == [.succeeded, .verified])
        #expect(try p.auditHolds())
    }

    @Test func noSampleInTimeMakesItIneffectiveAndEscalates() async throws {
        let p = try Plant()
        defer { p.close() }
        let host = FakeHost(clock: p.clock)
        let (running, sink, ended, episode) = try await verifying(p, host)
        _ = sink.consume([sample(85, at: ended + s(30))])
        p.clock.set(to: EpochInstant(microseconds: ended + s(600)))
        #expect(try await waitUntil { try p.rows().first?.outcome == .ineffective })
        await running.stop()
        #expect(try p.audit().map(\.outcome) == [.succeeded, .ineffective])
        let escalations = try p.db.scalar(
            "SELECT count(*) FROM hook_outbox WHERE episode = '\(episode)' AND CAST(body AS TEXT) LIKE '%\"transition\":\"escalation\"%'"
        )
        #expect(escalations == 1)
        #expect(try p.auditHolds())
    }

    @Test func aVerifyLimitPassedWhileKilnWasDownIsIneffective() async throws {
        let p = try Plant()
        defer { p.close() }
        let host = FakeHost(clock: p.clock)
        let (running, _, ended, _) = try await verifying(p, host)
        await running.stop()
        p.clock.set(to: EpochInstant(microseconds: ended + s(601)))
        let again = try p.start(running.service.config, host)
        #expect(try await waitUntil { try p.rows().first?.outcome == .ineffective })
        await again.stop()
        #expect(host.count == 1)
    }
}
