import ArgumentParser
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

        @Option(name: .long, help: "Only this tag (repeatable).")
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

        /// Narrows the gateway to the chosen devices and tags; an unknown name is a usage error.
        private func select(from config: GatewayConfig) throws -> GatewayConfig {
            var config = config
            for name in device where !config.devices.contains(where: { $0.name == name }) {
                printError("error: no device named '\(name)' in \(file)")
                throw ExitCode(1)
            }
            if !device.isEmpty { config.devices.removeAll { !device.contains($0.name) } }
            if !tag.isEmpty {
                for name in tag where !config.devices.contains(where: { $0.tags.contains { $0.name == name } }) {
                    printError("error: no tag named '\(name)' in the selected devices of \(file)")
                    throw ExitCode(1)
                }
                for i in config.devices.indices { config.devices[i].tags.removeAll { !tag.contains($0.name) } }
                config.devices.removeAll { $0.tags.isEmpty }
            }
            return config
        }
    }
}
