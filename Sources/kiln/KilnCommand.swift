import ArgumentParser

@main
struct KilnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln",
        abstract: "A real-time Modbus/TCP gateway for plant equipment.",
        subcommands: [
            Check.self, Read.self, Probe.self, Simulate.self, Run.self, Export.self, Bench.self, BenchHistorian.self,
        ]
    )
}
