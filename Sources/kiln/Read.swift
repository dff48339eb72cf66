import ArgumentParser

extension KilnCommand {
    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "read", abstract: "TODO")

        func run() async throws {
            throw ValidationError("not yet implemented")
        }
    }
}
