import ArgumentParser
import KilnCore
import KilnHistorian
import KilnPoller
import KilnSignal

extension KilnCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Poll every device until stopped (SIGINT, SIGTERM) or for a duration.",
            discussion: "Exits 0 after a clean shutdown, printing a summary of the run on standard error."
        )

        @Argument(help: "A gateway config or a device map.")
        var file: String

        @Option(name: .long, help: "Stop after this long (e.g. 30s, 5m).")
        var duration: DurationArgument?

        @Option(name: .long, help: "How often to print the live values table.")
        var printEvery: DurationArgument = DurationArgument(.seconds(2))

        @Flag(name: .long, help: "Print every sample as a JSON line instead of the live table.")
        var json = false

        @Flag(name: .long, help: "Print no values, only the summary.")
        var quiet = false

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let logger = try logging.bootstrap()
            let config = try loadConfiguration(file)
            ShutdownSignal.install()

            // The historian starts first and stops last, so that it stores every drained sample.
            let historian = try startHistorian(config, logger: logger)
            let poller = Poller(config: config, logger: logger)
            do {
                try poller.start()
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            logger.info(
                "polling",
                metadata: [
                    "kiln.devices": "\(config.devices.count)",
                    "kiln.tags": "\(config.devices.reduce(0) { $0 + $1.tags.count })",
                ])
            // Only the live table needs the latest sample of every tag.
            var live = json || quiet ? nil : LiveValues(config: config)
            var conditioner = Conditioner(config: config)
            var faults = FaultTally()
            let started = ContinuousClock.now
            var lastPrint = started
            let end = duration.map { started + $0.duration }
            while ShutdownSignal.received == nil, end.map({ ContinuousClock.now < $0 }) ?? true {
                let now = Clocks.wallMicroseconds()
                for batch in conditioner.conditioned(poller.queue.drain()) + conditioner.staleBatches(at: now) {
                    historian?.submit(batch)
                    live?.update(batch)
                    faults.count(batch)
                    if json, !quiet {
                        for s in batch {
                            let device = config.devices[s.device]
                            print(SampleText.json(s, device: device, tag: device.tags[s.tag]))
                        }
                    }
                }
                if !json, !quiet, ContinuousClock.now - lastPrint >= printEvery.duration {
                    lastPrint = ContinuousClock.now
                    if let live { print("\(Timestamp.rfc3339(micros: Clocks.wallMicroseconds()))\n" + live.table) }
                }
                flushOutput()
                try? await Task.sleep(for: .milliseconds(20))
            }
            poller.stop()
            for batch in conditioner.conditioned(poller.queue.drain()) {
                historian?.submit(batch)
                live?.update(batch)
                faults.count(batch)
            }
            historian?.stop()
            printError(faults.text(config))
            let summary = RunSummary(poller: poller, elapsed: ContinuousClock.now - started)
            printError(summary.text)
            for line in summary.discardLines { printError(line) }
            if let historian { printError(HistorianSummary(historian.statistics).text) }
        }
    }
}

/// The latest sample of every tag.
struct LiveValues {
    let config: GatewayConfig
    /// One slot per tag of the gateway, device after device: one flat array, so an update is
    /// an index and a store, not a nested copy-on-write check per sample.
    private var latest: [Sample?]
    /// Index in `latest` of each device's first tag.
    private let firstTag: [Int]

    init(config: GatewayConfig) {
        self.config = config
        var first: [Int] = []
        var total = 0
        for device in config.devices {
            first.append(total)
            total += device.tags.count
        }
        firstTag = first
        latest = Array(repeating: nil, count: total)
    }

    mutating func update(_ batch: [Sample]) {
        for s in batch { latest[firstTag[s.device] + s.tag] = s }
    }

    var table: String {
        var rows: [(DeviceConfig, TagConfig, Sample)] = []
        for (d, device) in config.devices.enumerated() {
            for (t, tag) in device.tags.enumerated() {
                if let s = latest[firstTag[d] + t] { rows.append((device, tag, s)) }
            }
        }
        return SampleText.table(rows)
    }
}

/// What `kiln run` did, for the operator and for benchmarks.
struct RunSummary {
    let poller: Poller
    let elapsed: Duration

    var text: String {
        let stats = poller.statistics
        let requests = stats.reduce(0) { $0 + $1.requests }
        let failures = stats.reduce(0) { $0 + $1.failures }
        let overruns = stats.reduce(0) { $0 + $1.overruns }
        let priority = Set(poller.achievedPriorities.map(\.description)).sorted().joined(separator: ", ")
        return "kiln run: \(stats.count) devices, \(requests) requests, \(failures) failed, \(overruns) overruns, "
            + "\(poller.queue.dropped) samples dropped in \(DurationText.format(.milliseconds(Int64(elapsed.seconds * 1000)))); "
            + "poller threads: \(priority.isEmpty ? "none" : priority)"
    }

    /// One line per device that sent frames no request asked for (all discarded, never taken as
    /// values): a device that does is misconfigured, confused or hostile.
    var discardLines: [String] {
        zip(poller.pollers, poller.statistics).compactMap { poller, stats in
            let d = stats.discards
            guard d.frames > 0 || d.bytes > 0 else { return nil }
            return "kiln run: device \(poller.device.name) (\(poller.device.host):\(poller.device.port)) sent "
                + "\(d.frames) frames that answered no request (\(d.unasked) unasked, \(d.mismatched) not matching the "
                + "request in flight; \(d.bytes) bytes), all discarded"
        }
    }
}
