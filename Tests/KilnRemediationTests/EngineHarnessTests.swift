import Foundation
import KilnAlarms
import KilnCore
import KilnRemediation
import KilnSQLite
import KilnTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

// The engine's test harness (no tests here): a real alarm runner on a real SQLite file with an
// injected clock, the service in a ServiceGroup, and a recording host standing in for sshd.

let quiet = Logger(label: "kiln.remediation.tests", factory: { _ in SwiftLogNoOpLogHandler() })
let alarmPath = "chiller-1/supply_temp/high"

func s(_ seconds: Int64) -> Int64 { seconds * 1_000_000 }

/// Waits (sleeping) until `condition` holds or `timeout` passes; returns whether it held.
func waitUntil(timeout: Duration = .seconds(30), _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(5))
    }
}

/// Longer than the service's rescan: whatever it would do by itself, it has done.
func letTheEngineLook() async { try? await Task.sleep(for: .milliseconds(700)) }

/// Stands in for the remote host: records every run, answers with `outcome`, and holds runs
/// while `held` (a hung host).
final class FakeHost: RemoteTransport {
    let clock: ManualClock
    let runs = Mutex<[RemoteRun]>([])
    let outcome: Mutex<RemediationOutcome>
    let held = Atomic<Bool>(false)
    let inside = Atomic<Int>(0)
    let shutdowns = Atomic<Int>(0)

    init(clock: ManualClock, outcome: RemediationOutcome = .succeeded) {
        self.clock = clock
        self.outcome = Mutex(outcome)
    }

    var count: Int { runs.withLock { $0.count } }

    func run(_ run: RemoteRun) async -> RemoteRunResult {
        runs.withLock { $0.append(run) }
        inside.add(1, ordering: .relaxed)
        let started = clock.now.microseconds
        while held.load(ordering: .relaxed) { try? await Task.sleep(for: .milliseconds(5)) }
        inside.subtract(1, ordering: .relaxed)
        let o = outcome.withLock { $0 }
        return RemoteRunResult(
            outcome: o, started: started, ended: clock.now.microseconds, exitCode: o == .succeeded ? 0 : 1,
            fingerprint: "SHA256:fake", stdout: CapturedOutput(head: Array("ran \(run.id)\n".utf8), total: 6),
            detail: o == .succeeded ? nil : "exit 1")
    }

    func shutdown() async { shutdowns.add(1, ordering: .relaxed) }
}

/// A running service and how to stop it gracefully.
struct Running {
    let service: RemediationService
    let group: ServiceGroup
    let task: Task<Void, any Error>

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// One device, one tag with a `high` alarm above 80, a historian file, a hook (so escalations
/// land in the outbox), and an alarm runner on an injected clock.
final class Plant {
    let dir = TempDir("remediation")
    let clock = ManualClock(start: EpochInstant(microseconds: 1_780_000_000_000_000))
    let config: GatewayConfig
    let runner: AlarmRunner
    let db: Connection

    var path: String { dir.file("kiln.sqlite") }

    init() throws {
        let tag = TagConfig(
            name: "supply_temp", register: .holding, address: 0, type: .float32, poll: .milliseconds(100),
            conditioning: ConditioningConfig(range: -50...500),
            alarms: [AlarmDefinition(name: "high", limit: .above(80))])
        config = GatewayConfig(
            path: "/tmp/kiln-remediation-test.yaml", historian: HistorianConfig(path: dir.file("kiln.sqlite")),
            hooks: [HookConfig(name: "ops", kind: .webhook, url: "http://127.0.0.1:9/hook")],
            devices: [DeviceConfig(name: "chiller-1", host: "127.0.0.1", port: 1, tags: [tag])])
        runner = try AlarmRunner(config: config, clock: clock, logger: quiet)
        try runner.start()
        db = try Connection(path: dir.file("kiln.sqlite"))
        try db.execute("PRAGMA busy_timeout = 5000")
    }

    func close() {
        runner.stop()
        dir.cleanup()
    }

    static func host(maxConcurrent: Int = 1) -> RemediationHost {
        RemediationHost(
            name: "chiller-ctl", address: "127.0.0.1", user: "svc_automation", identityFile: "/etc/kiln/id_ed25519",
            knownHosts: "/etc/kiln/known_hosts", maxConcurrent: maxConcurrent)
    }

    static func rule(
        _ name: String = "restart-loop", persists: Int64 = 120, cooldown: Int64 = 900, maxAttempts: Int = 1,
        retryDelay: Int64 = 30, retryInterrupted: Bool = false, verify: RemediationVerify? = nil
    ) -> RemediationRule {
        RemediationRule(
            name: name, trigger: RemediationTrigger(alarm: alarmPath, persists: .seconds(persists)),
            host: "chiller-ctl", command: ["systemctl", "restart", "loop@{device}", "{value}", "{episode}"],
            cooldown: .seconds(cooldown), maxAttempts: maxAttempts, retryDelay: .seconds(retryDelay),
            retryInterrupted: retryInterrupted, verify: verify)
    }

    static func remediation(
        mode: RemediationMode = .enforce, maxPerHour: Int = 6, maxConcurrent: Int = 1, rules: [RemediationRule]
    ) -> RemediationConfig {
        RemediationConfig(mode: mode, maxPerHour: maxPerHour, hosts: [host(maxConcurrent: maxConcurrent)], rules: rules)
    }

    func start(_ remediation: RemediationConfig, _ host: FakeHost) throws -> Running {
        let service = try RemediationService(
            config: remediation, path: path, runner: runner, transport: host, clock: clock, logger: quiet)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [service], logger: quiet))
        return Running(service: service, group: group, task: Task { try await group.run() })
    }

    var record: AlarmRecord? { runner.list().first { $0.path == alarmPath } }

    /// Feeds a Good sample of the tag at the clock's time.
    func feed(_ value: Double) {
        _ = runner.submit([
            Sample(
                device: 0, tag: 0, value: .double(value), raw: .double(value), status: .good,
                timestamp: clock.now.microseconds)
        ])
    }

    /// Raises the alarm (a new episode) and returns when it is active, with its activation time.
    @discardableResult
    /// Starts an approve-mode service with one rule (persists 10 s), activates its alarm and
    /// moves the clock to the persisted moment: one run waits for approval.
    func startWithARunAwaitingApproval() async throws -> (FakeHost, Running) {
        let host = FakeHost(clock: clock)
        let running = try start(Plant.remediation(mode: .approve, rules: [Plant.rule(persists: 10)]), host)
        let a = try await activate(90)
        clock.set(to: EpochInstant(microseconds: a.since + s(10)))
        #expect(try await waitUntil { try self.rows().first?.state == .awaitingApproval })
        return (host, running)
    }

    func activate(_ value: Double = 90) async throws -> (episode: String, since: Int64) {
        let before = record?.episode
        feed(value)
        let ok = await waitUntil {
            guard let r = record, r.active, let e = r.episode else { return false }
            return e != before
        }
        try #require(ok, "the alarm did not activate")
        let r = try #require(record)
        return (try #require(r.episode), try #require(r.activeSince))
    }

    /// Clears the alarm and acknowledges it, so it returns to normal.
    func clear() async throws {
        feed(70)
        try #require(await waitUntil { record?.active == false }, "the alarm did not clear")
        _ = await runner.perform(AlarmCommand(action: .ack, target: alarmPath, by: "test"))
        try #require(await waitUntil { record?.state == .normal }, "the alarm did not return to normal")
    }

    func rows() throws -> [RunRow] { try RunQueueOperators.recent(db: db, limit: 1000).reversed() }

    func audit() throws -> [AuditEntry] { try AuditLog.entries(db) }

    func auditHolds() throws -> Bool { try AuditLog.verify(db).holds }

    /// Sets the clock and waits until the engine has planned again (slept on the clock).
    func set(to micros: Int64) async {
        clock.set(to: EpochInstant(microseconds: micros))
        await letTheEngineLook()
    }
}
