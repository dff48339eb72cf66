import ArgumentParser
import KilnCommandLine
import KilnConfig
import KilnCore
import KilnGateway
import KilnRemediation
import KilnServer
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

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
            // Read (and removed from the environment) before anything starts a program.
            let systemd = SystemdNotifier.fromEnvironment(logger: logger)
            let config = try loadConfiguration(file)
            // A hook whose secret cannot be had would fail every delivery, a remediation host
            // whose key or pin file is unusable every run: refuse to start.
            // An HTTP token file or TLS key others can read is refused like a hook's secret.
            let secretProblems = HookSecrets.check(config) + RemediationFiles.check(config) + HTTPFiles.check(config)
            for problem in secretProblems { printError(problem.description) }
            if !secretProblems.isEmpty { throw ExitCode(1) }
            // Before the historian is opened: a second copy must not touch it.
            let instanceLock = try lockInstance(config, logger: logger)
            // Before anything is built: the poller and the gateway create their metric handles then.
            let exposition = MetricsExposition.bootstrap()
            let faults = FaultTallySink()
            var sinks: [any Sink] = [faults]
            if json, !quiet { sinks.append(JSONPrinterSink(config: config)) }
            let table = LiveTablePrinter(config: config, every: printEvery.duration)
            let server = try httpServer(config, exposition: exposition, logger: logger)
            let gateway: Gateway
            do {
                var options = Gateway.Options()
                options.systemd = systemd
                if let server { options.readiness.append(server.readiness) }
                if let remediation = config.remediation, let historian = config.historian {
                    // The OpenSSH client, its control sockets in a checked private folder.
                    options.remediationTransport = try SSHTransport(config: remediation, historian: historian.path)
                }
                var services: [any Service] = json || quiet ? [] : [table]
                if let server { services.append(server) }
                gateway = try Gateway(
                    config: config, sinks: sinks, services: services, options: options, logger: logger)
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            table.attach(gateway.live)
            server?.attach(gateway)
            logger.info(
                "polling",
                metadata: [
                    "kiln.devices": "\(config.devices.count)", "kiln.tags": "\(gateway.index.count)",
                ])
            let started = ContinuousClock.now
            let outcome = await gateway.run(for: duration?.duration)
            let summary = RunSummary(gateway: gateway, elapsed: ContinuousClock.now - started)
            var report = [faults.text(config), summary.text, summary.pipelineText] + summary.discardLines
            if let historian = gateway.historian { report.append(HistorianSummary(historian.statistics).text) }
            if let alarms = gateway.alarms {
                report.append(AlarmSummary(records: alarms.runner.list(), file: file).text)
            }
            var failed = false
            switch outcome {
            case .stopped:
                break
            case .abandoned(let lines):
                logger.error(
                    "shutdown_timeout passed; exiting with work abandoned",
                    metadata: ["kiln.shutdown_timeout": "\(DurationText.format(config.shutdownTimeout))"])
                report += lines.map { "kiln run: abandoned: \($0)" }
                failed = true
            case .failed(let message):
                report.append("error: \(message)")
                failed = true
            }
            if let metrics {
                do {
                    try exposition.write(to: metrics)
                } catch {
                    report.append("error: \(error)")
                    failed = true
                }
            }
            if case .abandoned = outcome {
                // What did not stop may hold standard output (a printer blocked on a full pipe):
                // flushing it, as printError and exit() do, would hang past the bound.
                for line in report { StandardError.writeUnbuffered(line) }
                _exit(1)
            }
            for line in report { printError(line) }
            withExtendedLifetime(instanceLock) {}
            if failed { throw ExitCode(1) }
        }
    }
}
