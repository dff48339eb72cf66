import ArgumentParser
import KilnCommandLine
import KilnCore
import KilnHistorian
import KilnSQLite
import KilnSeries
import Logging

/// `kiln-bench historian`: drivers for tools/bench/historian.sh and the historian's crash tests.
struct BenchHistorian: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "historian", abstract: "Historian benchmark drivers (see tools/bench).",
        subcommands: [Ingest.self, Init.self, Plant.self])
}

extension BenchHistorian {
    /// Generated thermal samples through Kiln's real writer (the one `kiln run` uses).
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write generated samples through the historian writer; print NAME VALUE lines.")

        @Option(help: "The historian file (created when missing).") var db: String
        @Option(help: "Tags (float32 thermal signals).") var tags = 1000
        @Option(help: "Points to write in all (0 = until SIGTERM or kill).") var points = 5_000_000
        @Option(help: "Commit at least this often.") var flush: DurationArgument = DurationArgument(.seconds(1))
        @Option(help: "Commit at least every this many rows.") var batchRows = 262_144
        @Option(help: "Points per second to pace at (0 = as fast as the writer takes them).") var rate = 0
        @Option(help: "Poll period of the generated tags (sets the sample timestamps).")
        var period: DurationArgument = DurationArgument(.seconds(1))
        @Option(help: "First sample time, µs since the epoch (default: now).") var start: Int64?

        func run() async throws {
            let logger = Logger(label: "kiln.bench")
            ShutdownSignal.install()
            let store = try SQLiteStore(path: db)
            let descriptors = [
                (0..<tags).map { TagDescriptor(device: "bench", tag: "t\($0)", unit: "degC", type: "float32") }
            ]
            var options = HistorianWriter.Options(flush: flush.duration, maxBatchRows: batchRows)
            options.maintenanceInterval = .seconds(86_400 * 365)
            let writer = HistorianWriter(store: store, tags: descriptors, options: options, logger: logger)
            try writer.start()

            let periodMicros = period.duration.nanoseconds / 1000
            let t0 = start ?? WallClock.epochMicroseconds()
            print("ingest_start_us \(t0)")
            print("ingest_period_us \(periodMicros)")
            flushOutput()
            var signal = ThermalBank(count: tags)
            let began = ContinuousClock.now
            var written = 0
            var tick: Int64 = 0
            while points == 0 || written < points, ShutdownSignal.received == nil {
                let time = t0 + tick * periodMicros
                let n = points == 0 ? tags : min(tags, points - written)
                writer.submitWaiting(signal.batch(count: n, time: time))
                written += n
                tick += 1
                if rate > 0 {
                    let due = began + .microseconds(Int64(Double(written) / Double(rate) * 1e6))
                    if due > ContinuousClock.now { try? await Task.sleep(until: due) }
                }
                if points == 0, tick % 64 == 0 {
                    print("ingest_submitted_through_us \(time)")
                    flushOutput()
                }
            }
            writer.stop()
            let seconds = (ContinuousClock.now - began).seconds
            let stats = writer.statistics
            print("ingest_points \(stats.rowsWritten)")
            print("ingest_seconds \(String(format3(seconds)))")
            print("ingest_points_per_s \(Int(Double(stats.rowsWritten) / seconds))")
            print("ingest_dropped \(stats.droppedQueueFull + stats.lostStorage)")
        }
    }
}

/// Cheap float32 thermal signals for the ingest benchmark, so that generating samples never
/// limits the writer: first-order approach to a set point plus noise, rounded to float32.
struct ThermalBank {
    var levels: [Double]
    var targets: [Double]
    var random = BenchSignals.Random(seed: 7)

    init(count: Int) {
        levels = (0..<count).map { 20 + Double($0 % 50) }
        targets = (0..<count).map { 60 + Double($0 % 120) }
    }

    mutating func batch(count: Int, time: Int64) -> [Sample] {
        var out: [Sample] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            levels[i] += (targets[i] - levels[i]) * 0.01
            let noise = Double(Int64(bitPattern: random.next() >> 40) - (1 << 23)) * 0x1p-23 * 0.2
            let v = Value.double(Double(Float(levels[i] + noise)))
            out.append(Sample(device: 0, tag: i, value: v, raw: v, status: .good, timestamp: time))
        }
        return out
    }
}

func format3(_ x: Double) -> String {
    let scaled = Int64((x * 1000).rounded())
    let frac = String(scaled % 1000)
    return "\(scaled / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}

extension BenchHistorian {
    /// The demo plant's signals through the writer, then compaction: bytes per point.
    struct Plant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate hours of the demo plant's signals, compact them, print bytes per point.")

        @Option(help: "The historian file (created, unless --existing).") var db: String
        @Flag(help: "Compact the samples already in --db (e.g. from kiln run) instead of generating.")
        var existing = false
        @Option(help: "A device map or gateway config with simulate: blocks.") var config = "devices/plant.yaml"
        @Option(help: "Hours of plant time to generate.") var hours = 6
        @Flag(help: "Print a line per tag on standard error.") var perTag = false
        @Option(help: "Mean reply latency after each poll deadline, µs.") var latencyUs = 400.0
        @Option(help: "Standard deviation of the reply time, µs.") var jitterUs = 120.0

        func run() async throws {
            let gateway = try loadConfiguration(config)
            let logger = Logger(label: "kiln.bench")
            let store = try SQLiteStore(path: db)
            if existing {
                try report(store: store, gateway: gateway, now: WallClock.epochMicroseconds() + 48 * 3_600_000_000)
                return
            }
            var options = HistorianWriter.Options()
            options.maintenanceInterval = .seconds(86_400 * 365)
            let writer = HistorianWriter(
                store: store, tags: TagDescriptor.all(in: gateway), options: options, logger: logger)
            try writer.start()
            // Whole UTC hours in the past, so that every window compacts.
            let start =
                (WallClock.epochMicroseconds() / SQLiteStore.blockWindow - Int64(hours) - 48) * SQLiteStore.blockWindow
            var signals = BenchSignals(config: gateway)
            signals.latency = latencyUs
            signals.jitter = jitterUs
            var batch: [Sample] = []
            let step: Int64 = 10_000_000
            var t = start
            while t < start + Int64(hours) * 3_600_000_000 {
                batch.removeAll(keepingCapacity: true)
                signals.samples(from: t, to: t + step, start: start, into: &batch)
                writer.submitWaiting(batch)
                t += step
            }
            writer.stop()
            try report(store: store, gateway: gateway, now: start + Int64(hours + 48) * 3_600_000_000)
        }

        /// Compacts every window before `now` and prints the figures.
        func report(store: SQLiteStore, gateway: GatewayConfig, now: Int64) throws {
            let points = Int(try store.connection.scalar("SELECT count(*) FROM samples") ?? 0)
            let rawBytes = try tableBytes(store.connection, ["samples"])
            print("plant_points \(points)")
            print("bytes_per_point_raw \(format3(Double(rawBytes) / Double(points)))")

            let began = ContinuousClock.now
            var report = MaintenanceReport()
            repeat {
                report = try store.maintain(
                    now: now,
                    policy: RetentionPolicy(rawWindow: 3_600_000_000, retention: nil), budget: .seconds(3600))
            } while !report.finished
            let compactSeconds = (ContinuousClock.now - began).seconds
            print("compaction_points_per_s \(Int(Double(report.pointsCompacted) / max(compactSeconds, 1e-9)))")

            // Per tag: its blocks' bytes, plus its share of the time columns it uses (a column's
            // bytes split evenly between the blocks that share it).
            let perTagQuery = try store.connection.prepare(
                """
                WITH shares AS (SELECT times, count(*) AS n FROM blocks WHERE times IS NOT NULL GROUP BY times)
                SELECT t.device, t.tag,
                       sum(length(b.data) + coalesce(CAST(length(c.data) AS REAL) / s.n, 0)), sum(b.count)
                FROM blocks b JOIN tags t ON t.id = b.tag
                LEFT JOIN timecols c ON c.id = b.times LEFT JOIN shares s ON s.times = b.times
                GROUP BY b.tag ORDER BY t.device, t.tag
                """)
            var thermalBytes = 0
            var thermalPoints = 0
            var allBytes = 0
            var allPoints = 0
            while try perTagQuery.step() {
                let device = perTagQuery.string(0) ?? ""
                let name = perTagQuery.string(1) ?? ""
                let bytes = Int(perTagQuery.double(2).rounded())
                let n = Int(perTagQuery.int64(3))
                allBytes += bytes
                allPoints += n
                let tag = gateway.devices.first { $0.name == device }?.tags.first { $0.name == name }
                let thermal = tag?.simulation?.target != nil && tag?.type.isNumeric == true
                if thermal {
                    thermalBytes += bytes
                    thermalPoints += n
                }
                if perTag {
                    printError(
                        "\(device)/\(name) \(tag?.type.rawValue ?? "?") \(thermal ? "thermal" : "-") "
                            + "\(format3(Double(bytes) / Double(max(n, 1)))) bytes/point over \(n) points")
                }
            }
            let textRows = try store.connection.scalar("SELECT count(*) FROM samples") ?? 0
            let onDisk = try tableBytes(
                store.connection,
                ["blocks", "blocks_by_tag", "blocks_by_end", "timecols", "timecols_by_hash", "timecols_by_end"])
            let columns = try store.connection.scalar("SELECT count(*) FROM timecols") ?? 0
            print(
                "time_columns \(columns) for \(try store.connection.scalar("SELECT count(*) FROM blocks") ?? 0) blocks")
            print("compacted_points \(allPoints)")
            print("raw_rows_left_text \(textRows)")
            print("bytes_per_point_compacted_thermal \(format3(Double(thermalBytes) / Double(max(thermalPoints, 1))))")
            print("bytes_per_point_compacted_all \(format3(Double(allBytes) / Double(max(allPoints, 1))))")
            print("bytes_per_point_compacted_on_disk \(format3(Double(onDisk) / Double(max(allPoints, 1))))")
            // Lossless: every compacted point decodes to exactly what was stored (compaction also
            // checks each block before it deletes a raw row).
            print("compaction_lossless \(try verifyBlocks(store.connection))")
        }

        /// Bytes of the pages holding these tables and indexes (SQLite's dbstat), after a checkpoint.
        func tableBytes(_ db: Connection, _ names: [String]) throws -> Int {
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            let list = names.map { "'\($0)'" }.joined(separator: ",")
            return Int(try db.scalar("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN (\(list))") ?? 0)
        }

        func verifyBlocks(_ db: Connection) throws -> String {
            let s = try db.prepare(
                "SELECT b.data, c.data, b.count FROM blocks b LEFT JOIN timecols c ON c.id = b.times")
            while try s.step() {
                let points = try HistoryReader.decodeBlock(s, data: 0)
                guard points.count == Int(s.int64(2)) else { return "no" }
            }
            return "yes"
        }
    }

    /// Creates a historian file with the ingest benchmark's tags, for the C baseline to fill.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a historian file with the bench tags.")

        @Option(help: "The historian file.") var db: String
        @Option(help: "Tags.") var tags = 1000

        func run() async throws {
            let store = try SQLiteStore(path: db)
            _ = try store.register(
                (0..<tags).map { TagDescriptor(device: "bench", tag: "t\($0)", unit: "degC", type: "float32") })
        }
    }
}
