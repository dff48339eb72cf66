import ArgumentParser
import Foundation
import KilnAlarms
import KilnCommandLine
import KilnCore
import KilnSQLite
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `kiln-bench alarms`: the alarm engine's share of the sample → webhook path. Latency from a
/// sample's timestamp to the commit of its event's outbox row (the doorbell), one sample in
/// flight at a time, and throughput in events/s with a batch flipping every alarm; or the same
/// through a bare SQLite floor (one insert and commit per event in the same WAL file), the
/// least any durable outbox can cost on this machine.
struct BenchAlarms: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alarms",
        abstract: "Alarm engine: sample → committed outbox row latency (p50/p99), and events/s.")

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case engine
        /// One INSERT and COMMIT per event in a WAL file: the floor of a durable outbox.
        case sqliteFloor = "sqlite-floor"
        /// The engine alone judging samples that change nothing: its cost per sample.
        case observe
    }

    @Option(help: "engine or sqlite-floor.")
    var mode: Mode = .engine

    @Option(help: "Samples sent one at a time for the latency figures.")
    var samples: Int = 2_000

    @Option(help: "Tags (each with one alarm), in devices of 20.")
    var tags: Int = 200

    @Option(help: "Rounds of the throughput run, each flipping every alarm.")
    var rounds: Int = 50

    @Option(help: "Folder for the SQLite file (default: a new one under /tmp).")
    var dir: String?

    func run() async throws {
        let folder = dir ?? (NSTemporaryDirectory() + "kiln-bench-alarms-\(getpid())")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: folder) } }
        let path = folder + "/alarms.sqlite"
        try? FileManager.default.removeItem(atPath: path)
        switch mode {
        case .engine: try engine(path)
        case .sqliteFloor: try floor(path)
        case .observe: observe()
        }
    }

    private var config: (GatewayConfig, Int) {
        let perDevice = 20
        let devices = max(1, (tags + perDevice - 1) / perDevice)
        let config = GatewayConfig(
            path: "/bench/kiln.yaml", historian: nil,
            hooks: [HookConfig(name: "bench", kind: .webhook, url: "http://127.0.0.1:9/")],
            devices: (0..<devices).map { d in
                DeviceConfig(
                    name: "dev-\(d)", host: "127.0.0.1", port: 1,
                    tags: (0..<perDevice).map { t in
                        TagConfig(
                            name: "t\(t)", register: .holding, address: t * 2, type: .float32,
                            conditioning: ConditioningConfig(range: -1000...1000),
                            alarms: [AlarmDefinition(name: "high", limit: .above(50), severity: .major)])
                    })
            })
        return (config, devices)
    }

    private func engine(_ path: String) throws {
        var (config, devices) = self.config
        config.historian = HistorianConfig(path: path)
        let runner = try AlarmRunner(
            config: config, clock: WallClock(),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        try runner.start()
        defer { runner.stop() }
        let total = devices * 20
        // Latency: one sample at a time, each flipping one alarm (one event, one outbox row).
        var latencies: [Int64] = []
        for k in 0..<samples {
            let stamp = WallClock.epochMicroseconds()
            let before = runner.doorbell.generation
            let value = (k / total) % 2 == 0 ? 60.0 : 40.0
            let sample = Sample(
                device: (k % total) / 20, tag: k % 20, value: .double(value), raw: .double(value), status: .good,
                timestamp: stamp)
            _ = runner.submit([sample])
            while runner.doorbell.generation == before { usleep(20) }
            latencies.append(WallClock.epochMicroseconds() - stamp)
        }
        print(PipelineBench.line("engine latency", latencies))
        flushOutput()
        // Throughput: every alarm flips in each round's batch, from all of them below the limit.
        let db = try Connection(path: path)
        try db.execute("PRAGMA busy_timeout = 5000")
        let reset = WallClock.epochMicroseconds()
        _ = runner.submit(
            (0..<total).map {
                Sample(
                    device: $0 / 20, tag: $0 % 20, value: .double(40), raw: .double(40), status: .good, timestamp: reset
                )
            })
        var settled = -1 as Int64
        while true {
            usleep(300_000)
            let n = try db.scalar("SELECT count(*) FROM hook_outbox") ?? 0
            if n == settled { break }
            settled = n
        }
        let start = settled
        let began = WallClock.epochMicroseconds()
        for r in 0..<rounds {
            let stamp = WallClock.epochMicroseconds()
            let value = r % 2 == 0 ? 60.0 : 40.0
            let batch = (0..<total).map {
                Sample(
                    device: $0 / 20, tag: $0 % 20, value: .double(value), raw: .double(value), status: .good,
                    timestamp: stamp)
            }
            while !runner.submit(batch) { usleep(100) }
        }
        let expected = start + Int64(rounds * total)
        while (try db.scalar("SELECT count(*) FROM hook_outbox") ?? 0) < expected { usleep(1_000) }
        let seconds = Double(WallClock.epochMicroseconds() - began) / 1e6
        print("engine throughput events \(rounds * total) events_per_s \(Int(Double(rounds * total) / seconds))")
        flushOutput()
    }

    private func observe() {
        let (config, devices) = self.config
        let engine = AlarmEngine(
            config: config, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }),
            metrics: AlarmMetrics())
        let total = devices * 20
        let start = WallClock.epochMicroseconds()
        let batches = (0..<10).map { k in
            (0..<total).map {
                Sample(
                    device: $0 / 20, tag: $0 % 20, value: .double(40 + Double(k) * 0.1), raw: .double(40),
                    status: .good, timestamp: start + Int64(k))
            }
        }
        let began = ContinuousClock.now
        var judged = 0
        for r in 0..<rounds * 10 {
            var batch = batches[r % 10]
            for i in batch.indices { batch[i].timestamp = start + Int64(r) * 100_000 }
            engine.observe(batch, now: start + Int64(r) * 100_000)
            judged += batch.count
        }
        let elapsed = ContinuousClock.now - began
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("engine observe samples \(judged) samples_per_s \(Int(Double(judged) / seconds))")
        flushOutput()
    }

    private func floor(_ path: String) throws {
        let db = try Connection(path: path)
        try db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000")
        try Migrator([OutboxSchema.migrations]).migrate(db)
        let insert = try db.prepare(
            "INSERT INTO hook_outbox (hook, event, episode, created, body, next_attempt) VALUES (?1, ?2, ?3, ?4, ?5, ?4)"
        )
        let body = Array(String(repeating: "x", count: 600).utf8)
        var n = 0
        func row(_ stamp: Int64) throws {
            n += 1
            insert.bind(1, "bench")
            insert.bind(2, "evt_\(n)")
            insert.bind(3, "ep_\(n)")
            insert.bind(4, stamp)
            insert.bind(5, body)
            try insert.run()
        }
        var latencies: [Int64] = []
        for _ in 0..<samples {
            let stamp = WallClock.epochMicroseconds()
            try db.execute("BEGIN IMMEDIATE")
            try row(stamp)
            try db.execute("COMMIT")
            latencies.append(WallClock.epochMicroseconds() - stamp)
        }
        print(PipelineBench.line("sqlite-floor latency", latencies))
        flushOutput()
        let total = self.config.1 * 20
        let began = WallClock.epochMicroseconds()
        for _ in 0..<rounds {
            try db.execute("BEGIN IMMEDIATE")
            for _ in 0..<total { try row(began) }
            try db.execute("COMMIT")
        }
        let seconds = Double(WallClock.epochMicroseconds() - began) / 1e6
        print("sqlite-floor throughput events \(rounds * total) events_per_s \(Int(Double(rounds * total) / seconds))")
        flushOutput()
    }
}
