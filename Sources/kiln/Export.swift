import ArgumentParser
import KilnCommandLine
import KilnCore
import KilnHistorian
import KilnSeries

#if canImport(Glibc)
    import Glibc
#endif

extension KilnCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Export historian data as CSV, JSON Lines or InfluxDB line protocol.",
            discussion: """
                Reads the historian file named by a gateway config's `historian: { path }`, or given \
                with --db, while `kiln run` may be writing it. Raw points: ts,device,tag,value,raw,status; \
                with --every and --agg, one row per interval: ts,device,tag,<agg>...,status,good_fraction \
                (status is the worst in the interval). Intervals are aligned to the clock: boundaries are \
                multiples of --every since the Unix epoch (plus --offset), as TimescaleDB's time_bucket \
                and InfluxDB's GROUP BY time() align them; ts is the start of the bucket, and the first \
                and last intervals hold only the part inside --from/--to. Time the historian did not \
                cover (Kiln not running, after its last sample, a full disk, the future) is never Good: \
                raw exports carry a row with no value and status BadNoData where it begins, and \
                intervals over it read BadNoData with no value carried into it. A damaged block is an \
                error (exit 1). ts is RFC 3339 UTC with microseconds. Rows come \
                tag by tag, in time order within a tag. Times: RFC 3339 (2026-11-25T07:00:00Z), a date, \
                now, or relative to now (-1h, -7d, -30m). Exits 1 on bad arguments.
                """
        )

        @Argument(help: "A gateway config whose historian to read (or give --db).")
        var file: String?

        @Option(name: .long, help: "The historian file.")
        var db: String?

        @Option(name: .long, parsing: .unconditional, help: "Start of the range (inclusive).")
        var from: String

        @Option(name: .long, parsing: .unconditional, help: "End of the range (exclusive).")
        var to: String = "now"

        @Option(
            name: .long,
            help: ArgumentHelp(
                "DEVICE/TAG, a TAG only one device has, or a glob such as 'boiler-1/*' (repeatable; default: every tag).",
                valueName: "tag"))
        var tag: [String] = []

        @Option(name: .long, help: "Aggregate over intervals of this length (e.g. 1m, 15m, 1h, 1d).")
        var every: String?

        @Option(
            name: .long, parsing: .unconditional,
            help: "Shift interval boundaries from multiples of --every since the epoch by this (e.g. 15m, -1h).")
        var offset: String?

        @Option(name: .long, help: "Aggregates, comma-separated: first,last,min,max,avg,count,twa,interpolated.")
        var agg: String?

        @Option(name: .long, help: "csv, jsonl or influx.")
        var format: String = "csv"

        @Option(name: .long, help: "Write here instead of standard output.")
        var output: String?

        func run() async throws {
            do {
                try export()
            } catch let error as ExitCode {
                throw error
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }

        private func export() throws {
            let path = try historianPath()
            let now = WallClock.epochMicroseconds()
            guard let start = TimeExpression.parse(from, now: now) else { throw badTime("--from", from) }
            guard let end = TimeExpression.parse(to, now: now) else { throw badTime("--to", to) }
            guard let format = ExportFormat(rawValue: format) else {
                throw HistorianError("unknown --format '\(format)'; use csv, jsonl or influx")
            }
            var request = ExportRequest(from: start, to: end, tags: tag, format: format)
            if let every {
                guard let micros = TimeExpression.parse("+" + every, now: 0), micros > 0 else {
                    throw HistorianError("--every '\(every)' is not a duration (e.g. 1m, 15m, 1h, 1d)")
                }
                request.every = micros
                request.aggregates = try Export.aggregates(agg ?? "avg")
                if let offset { request.origin = try Export.offset(offset) }
            } else if agg != nil {
                throw HistorianError("--agg needs --every (the interval to aggregate over)")
            } else if offset != nil {
                throw HistorianError("--offset needs --every (it shifts the interval boundaries)")
            }
            let reader = try HistoryReader(path: path)
            if !tag.isEmpty {
                let stored = try reader.tags().map {
                    TagSelection.Path(device: $0.descriptor.device, tag: $0.descriptor.tag)
                }
                request.tags = try TagSelection(paths: stored, source: "the historian \(path)").all(tag).map(
                    \.description)
            }
            let exporter = try Exporter(reader: reader, request: request)

            let fd: Int32
            if let output {
                fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fd >= 0 else {
                    throw HistorianError("cannot write \(output): \(String(cString: strerror(errno)))")
                }
            } else {
                fd = 1
            }
            defer { if fd != 1 { close(fd) } }
            flushOutput()
            var bar = ProgressBar(enabled: isatty(2) == 1)
            let out = OutputBuffer(fd: fd)
            let rows = try exporter.run(to: out) { fraction, rows in bar.update(fraction, rows: rows) }
            bar.finish(rows: rows)
        }

        private func historianPath() throws -> String {
            switch (file, db) {
            case (nil, let db?): return db
            case (let file?, nil):
                let config = try loadConfiguration(file)
                guard let historian = config.historian else {
                    throw HistorianError("\(file) has no historian: section; give the file with --db")
                }
                return historian.path
            case (nil, nil): throw HistorianError("give a gateway config or --db PATH")
            case (.some, .some): throw HistorianError("give a gateway config or --db PATH, not both")
            }
        }

        private func badTime(_ option: String, _ text: String) -> HistorianError {
            HistorianError(
                "\(option) '\(text)' is not a time: use RFC 3339 (2026-11-25T07:00:00Z), a date, now, or -1h, -7d")
        }

        /// `15m`, `-1h`, … in microseconds.
        static func offset(_ text: String) throws(HistorianError) -> Int64 {
            let t = text.trimmingWhitespace()
            guard let micros = TimeExpression.parse(t.hasPrefix("-") || t.hasPrefix("+") ? t : "+" + t, now: 0) else {
                throw HistorianError("--offset '\(text)' is not a duration (e.g. 15m, -1h)")
            }
            return micros
        }

        static func aggregates(_ list: String) throws(HistorianError) -> [Aggregate] {
            var out: [Aggregate] = []
            for name in list.split(separator: ",") {
                let trimmed = String(name).trimmingWhitespace()
                guard let a = Aggregate(rawValue: trimmed) else {
                    let known = Aggregate.allCases.map(\.rawValue).joined(separator: ", ")
                    throw HistorianError("unknown aggregate '\(trimmed)'; use \(known)")
                }
                if !out.contains(a) { out.append(a) }
            }
            guard !out.isEmpty else { throw HistorianError("--agg needs at least one aggregate") }
            return out
        }
    }
}

/// A progress bar on standard error, shown only when it is a terminal and the export has taken
/// more than a second.
struct ProgressBar {
    let enabled: Bool
    let started = ContinuousClock.now
    var lastDraw = ContinuousClock.now
    var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    mutating func update(_ fraction: Double, rows: Int) {
        guard enabled else { return }
        let now = ContinuousClock.now
        guard now - started > .seconds(1), now - lastDraw > .milliseconds(100) else { return }
        lastDraw = now
        shown = true
        let width = 30
        let f = min(max(fraction, 0), 1)
        let filled = Int(f * Double(width))
        let rate = Double(rows) / max((now - started).seconds, 1e-3)
        printErrorRaw(
            "\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
                + "\(Int(f * 100))% \(rows) rows, \(Int(rate)) rows/s ")
    }

    mutating func finish(rows: Int) {
        guard shown else { return }
        printErrorRaw("\r\u{1B}[K")
        printError("exported \(rows) rows in \(format3((ContinuousClock.now - started).seconds)) s")
    }
}

/// `x` with three decimals.
func format3(_ x: Double) -> String {
    let scaled = Int64((x * 1000).rounded())
    let frac = String(scaled % 1000)
    return "\(scaled / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}

/// Writes to standard error with no newline.
func printErrorRaw(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
