import ArgumentParser
import KilnCommandLine
import KilnCore
import KilnPoller
import KilnSignal

extension KilnCommand {
    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "read",
            abstract: "Read every selected tag once and exit.",
            discussion: """
                Exit status: 0 when every tag read good, 2 when some were bad, 1 on usage or \
                configuration errors. A dead device costs at most its timeout (plus a connect \
                time-out of the same size); the other devices' tags still read good.
                """
        )

        @Argument(help: "A device map or a gateway config.")
        var file: String

        @Option(name: .long, help: "Only this device (repeatable).")
        var device: [String] = []

        @Option(
            name: .long,
            help: ArgumentHelp(
                "Only this tag: DEVICE/TAG, a TAG only one device has, or a glob such as 'pump-*/speed' (repeatable).",
                valueName: "tag"))
        var tag: [String] = []

        @Flag(name: .long, help: "One JSON object per line per tag.")
        var json = false

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let logger = try logging.bootstrap(defaultLevel: .warning)
            let config = try select(from: loadConfiguration(file))
            var samples = Poller.readOnce(config, logger: logger)
            var conditioner = Conditioner(config: config)
            conditioner.condition(&samples)
            let rows = samples.map { sample in
                (
                    device: config.devices[sample.device], tag: config.devices[sample.device].tags[sample.tag],
                    sample: sample
                )
            }
            if json {
                for row in rows {
                    print(SampleText.json(row.sample, device: row.device, tag: row.tag))
                }
            } else {
                print(SampleText.table(rows.map { ($0.device, $0.tag, $0.sample) }), terminator: "")
            }
            flushOutput()
            if samples.contains(where: { $0.status.isBad }) { throw ExitCode(2) }
        }

        /// Narrows the gateway to the chosen devices and tags (``TagSelection``); an unknown or
        /// ambiguous name is a usage error.
        private func select(from config: GatewayConfig) throws -> GatewayConfig {
            var selection = TagSelection(config: config, source: file)
            let chosen: Set<TagSelection.Path>
            do {
                try selection.restrict(toDevices: device)
                chosen = Set(try selection.all(tag))
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            var config = config
            for i in config.devices.indices {
                let name = config.devices[i].name
                config.devices[i].tags.removeAll { !chosen.contains(.init(device: name, tag: $0.name)) }
            }
            config.devices.removeAll { $0.tags.isEmpty }
            return config
        }
    }
}
