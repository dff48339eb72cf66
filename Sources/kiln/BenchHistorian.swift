import ArgumentParser
import KilnCore
import KilnHistorian
import Logging

extension KilnCommand {
    /// Drivers for tools/bench/historian.sh and the historian's crash test; hidden from help.
    struct BenchHistorian: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-historian", abstract: "Historian benchmark drivers (see tools/bench).",
            shouldDisplay: false, subcommands: [Ingest.self, Plant.self, Stats.self])
    }
}

extension KilnCommand.BenchHistorian {
    /// Generated thermal samples through Kiln's real writer (the one `kiln run` uses).
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write generated samples through the historian writer; print NAME VALUE lines.")

        @Option(help: "The historian file (created when missing).") var db: String
        @Option(help: "Tags (float32 thermal signals).") var tags = 1000
        @Option(help: "Points to write in all (0 = until SIGTERM or kill).") var points = 5_000_000
        @Option(help: "Commit at least this often.") var flush: DurationArgument = DurationArgument(argument: "1s")!
        @Option(help: "Commit at least every this many rows.") var batchRows = 262_144
        @Option(help: "Points per second to pace at (0 = as fast as the writer takes them).") var rate = 0
        @Option(help: "Poll period of the generated tags (sets the sample timestamps).")
        var period: DurationArgument = DurationArgument(argument: "1s")!
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
            let t0 = start ?? WriterClock.wallMicroseconds()
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

extension KilnCommand.BenchHistorian {
    struct Plant: AsyncParsableCommand {
        func run() async throws { throw ValidationError("not yet implemented") }
    }
    struct Stats: AsyncParsableCommand {
        func run() async throws { throw ValidationError("not yet implemented") }
    }
}
