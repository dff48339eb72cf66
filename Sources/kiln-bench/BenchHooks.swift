import ArgumentParser
import KilnAlarms
import KilnCommandLine
import KilnCore
import KilnHooks
import KilnSQLite
import Logging

/// `kiln-bench hooks-throughput`: the driver of tools/bench/outbox.sh. Delivers a pre-filled
/// outbox to a loopback receiver through Kiln's real delivery service (`--mode outbox`), or sends
/// the same signed requests with the same client and no outbox (`--mode raw`, the reference).
struct BenchHooks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks-throughput",
        abstract: "Outbox delivery events/s to a loopback receiver, or the raw request rate (reference).")

    @Option(help: "outbox or raw.") var mode = "outbox"
    @Option(help: "The receiver's URL.") var url: String
    @Option(help: "The SQLite file (outbox mode; created fresh).") var db: String?
    @Option(help: "Events to deliver.") var events = 20_000
    @Option(help: "Episodes the events belong to.") var episodes = 100
    @Option(help: "One attempt's limit.") var timeout = DurationArgument(.seconds(10))

    func run() async throws {
        let key = Array("bench signing key".utf8)
        let now = WallClock.epochMicroseconds()
        let sample = (0..<events).map { i in
            AlarmEvent(
                id: "evt_bench\(i % episodes)_\(i)", transition: .activated, episode: "bench\(i % episodes)",
                alarm: "bench/t\(i % episodes)/high", name: "high", kind: .process, device: "bench",
                tag: "t\(i % episodes)", severity: .major, state: .activeUnacknowledged, value: 86.25, limit: 85,
                status: "Good", message: "bench/t\(i % episodes) above 85: 86.25", time: now, sampleTime: now,
                activeSince: now)
        }
        let sender = WebhookSender(url: url, key: key, timeout: timeout.duration)
        switch mode {
        case "raw":
            // The bodies are encoded before the clock starts, as the outbox holds them ready.
            let rows = sample.enumerated().map { i, e in
                OutboxRow(
                    id: Int64(i), hook: "bench", event: e.id, episode: e.episode, created: e.time, body: e.json(),
                    attempts: 0, nextAttempt: e.time)
            }
            let began = ContinuousClock.now
            var failures = 0
            for row in rows {
                if case .delivered = await sender.deliver(row, now: WallClock.epochMicroseconds()) {
                } else {
                    failures += 1
                }
            }
            let seconds = Self.seconds(ContinuousClock.now - began)
            print("raw_requests \(events)")
            print("raw_failures \(failures)")
            print("raw_requests_per_s \(Int(Double(events) / seconds))")
        case "outbox":
            guard let db else { throw ValidationError("--mode outbox needs --db") }
            let hook = HookConfig(name: "bench", kind: .webhook, url: url, timeout: timeout.duration)
            let store = try OutboxStore(path: db)
            try store.transaction { () throws(SQLiteError) in
                let writer = try OutboxWriter(connection: store.connection, hooks: [hook])
                for e in sample { try writer.enqueue(e) }
            }
            var logger = Logger(label: "kiln.bench.hooks")
            logger.logLevel = .error
            let service = try HookDeliveryService(
                hooks: [hook], databasePath: db, doorbell: OutboxDoorbell(), logger: logger,
                transports: ["bench": sender])
            // Done when no row of the hook is pending: an index lookup, so the watching costs
            // the sender nothing measurable (a count(*) every 5 ms would).
            let anyPending = try store.connection.prepare(
                "SELECT 1 FROM hook_outbox WHERE hook = 'bench' AND state = 'pending' LIMIT 1")
            let began = ContinuousClock.now
            let task = Task { try? await service.run() }
            while true {
                anyPending.reset()
                if try !anyPending.step() { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            let seconds = Self.seconds(ContinuousClock.now - began)
            task.cancel()
            await task.value
            print("outbox_events \(events)")
            print("outbox_events_per_s \(Int(Double(events) / seconds))")
        default:
            throw ValidationError("--mode is outbox or raw")
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
