import ArgumentParser

/// `kiln-bench`: the benchmark drivers of tools/bench and of the historian's crash tests, in
/// their own executable so that the product (`kiln`) carries none of them.
@main
struct KilnBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln-bench",
        abstract: "Benchmark drivers for tools/bench (not part of the kiln product).",
        subcommands: [
            BenchPoll.self, BenchConditioning.self, BenchHistorian.self, PipelineBench.self, BenchAlarms.self,
            BenchHooks.self, BenchAlarmLatency.self,
        ]
    )
}
