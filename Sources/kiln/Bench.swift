import ArgumentParser

extension KilnCommand {
    /// Benchmark drivers for tools/bench; hidden from help.
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench", abstract: "Benchmark drivers (see tools/bench).", shouldDisplay: false)

        func run() async throws {
            throw ValidationError("not yet implemented")
        }
    }
}
