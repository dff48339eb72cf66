import ArgumentParser
import KilnCommandLine
import KilnCore
import KilnHooks

extension KilnCommand.Hooks {
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "Send a signed test event to one hook and print the receiver's answer.",
            discussion: """
                Queues a test event (transition `test`) in the named hook's outbox only. A running \
                gateway delivers it within a second; if none does within --wait, this command \
                delivers it itself and prints what the receiver answered. Exits 1 on an unknown \
                hook (with the near names), a secret that cannot be read, or a failed delivery.
                """
        )

        @Argument(help: "The hook's name.")
        var name: String

        @OptionGroup var target: HooksTarget

        @Option(name: .long, help: "How long a running gateway gets to deliver it (e.g. 3s, 0s).")
        var wait: DurationArgument = DurationArgument(.seconds(3))

        func run() async throws {
            let (hooks, path) = try target.resolve()
            do {
                let result = try await HookTestRun.run(
                    name: name, hooks: hooks, databasePath: path, wait: wait.duration)
                if result.byGateway {
                    print("test event \(result.event) delivered by the running gateway")
                } else {
                    print("test event \(result.event) delivered: \(result.answer ?? "")")
                }
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
