import ArgumentParser

extension KilnCommand {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "TODO")

        func run() async throws {
            throw ValidationError("not yet implemented")
        }
    }
}
