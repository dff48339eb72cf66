import ArgumentParser
import KilnCore
import KilnGateway
import Logging

extension KilnCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Poll every device until stopped (SIGINT, SIGTERM) or for a duration.",
            discussion: """
                Exits 0 after a clean shutdown (polling stopped, every queue drained, the historian \
                flushed), printing a summary of the run on standard error; 1 when the shutdown took \
                longer than the config's shutdown_timeout.
                """
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

        @Option(name: .long, help: "Write the metrics (Prometheus text format) to this file at exit.")
        var metrics: String?

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let logger = try logging.bootstrap()
            let config = try loadConfiguration(file)
            // Before anything is built: the poller and the gateway create their metric handles then.
            let exposition = MetricsExposition.bootstrap()
            let faults = FaultTallySink()
            var sinks: [any Sink] = [faults]
            if json, !quiet { sinks.append(JSONPrinterSink(config: config)) }
            let table = LiveTablePrinter(config: config, every: printEvery.duration)
            let gateway: Gateway
            do {
                gateway = try Gateway(
                    config: config, sinks: sinks, services: json || quiet ? [] : [table], logger: logger)
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            table.attach(gateway.live)
            logger.info(
                "polling",
                metadata: [
                    "kiln.devices": "\(config.devices.count)", "kiln.tags": "\(gateway.index.count)",
                ])
            let started = ContinuousClock.now
            let outcome = await gateway.run(for: duration?.duration)
            printError(faults.text(config))
            let summary = RunSummary(gateway: gateway, elapsed: ContinuousClock.now - started)
            printError(summary.text)
            printError(summary.pipelineText)
            for line in summary.discardLines { printError(line) }
            if let historian = gateway.historian { printError(HistorianSummary(historian.statistics).text) }
            var failed = false
            if let metrics {
                do {
                    try exposition.write(to: metrics)
                } catch {
                    printError("error: \(error)")
                    failed = true
                }
            }
            switch outcome {
            case .stopped:
                break
            case .abandoned(let lines):
                logger.error(
                    "shutdown_timeout passed; exiting with work abandoned",
                    metadata: ["kiln.shutdown_timeout": "\(DurationText.format(config.shutdownTimeout))"])
                for line in lines { printError("kiln run: abandoned: \(line)") }
                failed = true
            case .failed(let message):
                printError("error: \(message)")
                failed = true
            }
            if failed { throw ExitCode(1) }
        }
    }
}
