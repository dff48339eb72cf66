import ArgumentParser

@main
struct KilnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln",
        abstract: "A real-time Modbus/TCP gateway for plant equipment.",
        subcommands: [
            Check.self, Read.self, Probe.self, Simulate.self, Run.self, Tune.self, Replay.self, Bench.self,
            BenchConditioning.self,
        ]
    )
}
