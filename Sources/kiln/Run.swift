import ArgumentParser

extension KilnCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "TODO")

        func run() async throws {
            throw ValidationError("not yet implemented")
        }
    }
}
