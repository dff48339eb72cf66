import ArgumentParser

/// Benchmark drivers, outside the product binary.
@main
struct KilnBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln-bench",
        abstract: "Kiln's benchmark drivers (tools/bench/*.sh run them).",
        subcommands: [PipelineBench.self]
    )
}
