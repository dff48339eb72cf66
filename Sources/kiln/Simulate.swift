import ArgumentParser

extension KilnCommand {
    struct Simulate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "simulate", abstract: "TODO")

        func run() async throws {
            throw ValidationError("not yet implemented")
        }
    }
}
