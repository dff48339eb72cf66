import Foundation
import KilnAlarms
import KilnCore
import KilnRemediation
import KilnSQLite
import Testing

@Suite(.serialized) struct EngineQueueTests {
    @Test func aRunStartsOnceWhenTheConditionHasPersistedAndNotBefore() async throws {
        let p = try Plant()
        defer { p.close() }
        let host = FakeHost(clock: p.clock)
        let running = try p.start(Plant.remediation(rules: [Plant.rule()]), host)
        let (episode, since) = try await p.activate(90)
        await p.set(to: since + s(119))
        #expect(host.count == 0)
        #expect(try p.rows().isEmpty)
        p.clock.set(to: EpochInstant(microseconds: since + s(120)))
        #expect(try await waitUntil { try p.rows().first?.outcome == .succeeded })
        await p.set(to: since + s(600))
        await running.stop()
        #expect(host.count == 1)
        let run = try #require(host.runs.withLock { $0.first })
        #expect(run.argv == ["systemctl", "restart", "loop@chiller-1", "90", episode])
        let row = try #require(try p.rows().first)
        #expect(row.persistedAt == since + s(120))
        #expect(row.started == since + s(120))
        #expect(row.attempt == 1)
        let audit = try p.audit()
        #expect(audit.map(\.outcome) == [.succeeded])
        #expect(audit.first?.argv == run.argv)
        #expect(audit.first?.fingerprint == "SHA256:fake")
        #expect(audit.first?.stdout.head == Array("ran \(row.id)\n".utf8))
        #expect(try p.auditHolds())
        #expect(host.shutdowns.load(ordering: .relaxed) == 1)
    }

    @Test func aQueuedRunIsCancelledWhenTheAlarmClears() async throws {
        let p = try Plant()
        defer { p.close() }
        let host = FakeHost(clock: p.clock)
        // The first episode runs; the second waits for the cooldown and clears meanwhile.
        let running = try p.start(Plant.remediation(rules: [Plant.rule(persists: 10, cooldown: 900)]), host)
        let first = try await p.activate(90)
        p.clock.set(to: EpochInstant(microseconds: first.since + s(10)))
        #expect(await waitUntil { host.count == 1 })
        try await p.clear()
        let second = try await p.activate(95)
        p.clock.set(to: EpochInstant(microseconds: second.since + s(10)))
        #expect(try await waitUntil { try p.rows().count == 2 })
        let waiting = try #require(try p.rows().last)
        #expect(waiting.state == .queued)
        #expect(waiting.due == first.since + s(10) + s(900))
        try await p.clear()
        #expect(try await waitUntil { try p.rows().last?.outcome == .cancelled })
        await running.stop()
        #expect(host.count == 1)
        #expect(try p.audit().map(\.outcome) == [.succeeded, .cancelled])
        #expect(try p.auditHolds())
    }

    @Test func aShelvedAlarmCancelsItsWaitingRun() async throws {
        let p = try Plant()
        defer { p.close() }
        let (host, running) = try await p.startWithARunAwaitingApproval()
        _ = await p.runner.perform(AlarmCommand(action: .shelve, target: alarmPath, note: "maintenance", by: "test"))
        #expect(try await waitUntil { try p.rows().first?.outcome == .cancelled })
        await running.stop()
        #expect(host.count == 0)
    }

    @Test func cooldownSpacesRunsOfAFlappingAlarmAcrossEpisodes() async throws {
        let p = try Plant()
        defer { p.close() }
        let host = FakeHost(clock: p.clock)
        let running = try p.start(Plant.remediation(rules: [Plant.rule(persists: 10, cooldown: 300)]), host)
        let first = try await p.activate(90)
        p.clock.set(to: EpochInstant(microseconds: first.since + s(10)))
        #expect(await waitUntil { host.count == 1 })
        try await p.clear()
        let second = try await p.activate(91)
        await p.set(to: second.since + s(10))
        await p.set(to: first.since + s(10) + s(299))
        #expect(host.count == 1)
        p.clock.set(to: EpochInstant(microseconds: first.since + s(10) + s(300)))
        #expect(await waitUntil { host.count == 2 })
        let rows = try p.rows()
        #expect(rows.map(\.episode) == [first.episode, second.episode])
        #expect(rows.last?.started == first.since + s(310))
        await running.stop()
    }

    @Test func failedRunsAreRetriedWithBackOffUpToMaxAttempts() async throws {
        let p = try Plant()
        defer { p.close() }
        let host = FakeHost(clock: p.clock, outcome: .failed)
        let running = try p.start(
            Plant.remediation(rules: [Plant.rule(persists: 10, maxAttempts: 3, retryDelay: 30)]), host)
        let a = try await p.activate(90)
        let t1 = a.since + s(10)
        p.clock.set(to: EpochInstant(microseconds: t1))
        #expect(try await waitUntil { try p.rows().count == 2 })
        #expect(try p.rows()[1].due == t1 + s(30))
        await p.set(to: t1 + s(29))
        #expect(host.count == 1)
        p.clock.set(to: EpochInstant(microseconds: t1 + s(30)))
        #expect(try await waitUntil { try p.rows().count == 3 })
        // The third attempt waits twice as long.
        #expect(try p.rows()[2].due == t1 + s(30) + s(60))
        p.clock.set(to: EpochInstant(microseconds: t1 + s(90)))
        #expect(try await waitUntil { try p.rows()[2].outcome == .failed })
        await p.set(to: t1 + s(10_000))
        await running.stop()
        #expect(host.count == 3)
        #expect(try p.rows().map(\.attempt) == [1, 2, 3])
        #expect(try p.auditHolds())
    }

    @Test func maxConcurrentHoldsASecondRuleOnTheSameHost() async throws {
        let p = try Plant()
        defer { p.close() }
        let host = FakeHost(clock: p.clock)
        host.held.store(true, ordering: .relaxed)
        let rules = [Plant.rule("first", persists: 10), Plant.rule("second", persists: 10)]
        let running = try p.start(Plant.remediation(rules: rules), host)
        let a = try await p.activate(90)
        p.clock.set(to: EpochInstant(microseconds: a.since + s(10)))
        #expect(await waitUntil { host.count == 1 })
        await letTheEngineLook()
        #expect(host.count == 1)
        #expect(try p.rows().map(\.state).sorted { $0.rawValue < $1.rawValue } == [.queued, .running])
        host.held.store(false, ordering: .relaxed)
        #expect(await waitUntil { host.count == 2 })
        #expect(try await waitUntil { try p.rows().allSatisfy { $0.outcome == .succeeded } })
        await running.stop()
    }

    @Test func dryRunRunsNothingAndAuditsTheExactCommand() async throws {
        let p = try Plant()
        defer { p.close() }
        let host = FakeHost(clock: p.clock)
        let running = try p.start(Plant.remediation(mode: .dryRun, rules: [Plant.rule(persists: 10)]), host)
        let a = try await p.activate(90)
        p.clock.set(to: EpochInstant(microseconds: a.since + s(10)))
        #expect(try await waitUntil { try p.rows().first?.outcome == .dryRun })
        await running.stop()
        #expect(host.count == 0)
        let entry = try #require(try p.audit().first)
        #expect(entry.outcome == .dryRun)
        #expect(entry.argv == ["systemctl", "restart", "loop@chiller-1", "90", a.episode])
        #expect(try p.rows().first?.started == a.since + s(10))
    }

    @Test func theBreakerOpensHoldsSurvivesARestartAndClosesAfterAnHour() async throws {
        let p = try Plant()
        defer { p.close() }
        let host = FakeHost(clock: p.clock)
        let config = Plant.remediation(maxPerHour: 2, rules: [Plant.rule(persists: 1, cooldown: 0)])
        var running = try p.start(config, host)
        for i in 1...2 {
            let a = try await p.activate(90)
            p.clock.set(to: EpochInstant(microseconds: a.since + s(1)))
            #expect(await waitUntil { host.count == i })
            try await p.clear()
        }
        let third = try await p.activate(90)
        let opened = third.since + s(1)
        p.clock.set(to: EpochInstant(microseconds: opened))
        #expect(try await waitUntil { try p.audit().last?.outcome == .breakerOpened })
        #expect(await waitUntil { p.runner.list().first { $0.path == "kiln/remediation/breaker" }?.active == true })
        #expect(try p.rows().last?.detail?.contains("held by the breaker") == true)
        await running.stop()
        running = try p.start(config, host)
        await p.set(to: opened + s(3_599))
        #expect(host.count == 2)
        #expect(try p.rows().last?.state == .queued)
        p.clock.set(to: EpochInstant(microseconds: opened + s(3_600)))
        #expect(await waitUntil { host.count == 3 })
        #expect(await waitUntil { p.runner.list().first { $0.path == "kiln/remediation/breaker" }?.active == false })
        await running.stop()
        #expect(try p.audit().map(\.outcome) == [.succeeded, .succeeded, .breakerOpened, .breakerClosed, .succeeded])
        #expect(try p.auditHolds())
    }
}
