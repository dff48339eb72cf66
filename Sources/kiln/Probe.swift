import ArgumentParser

extension KilnCommand {
    struct Probe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "probe", abstract: "TODO")

        func run() async throws {
            throw ValidationError("not yet implemented")
        }
    }
}
