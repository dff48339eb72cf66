import ArgumentParser
import KilnCommandLine
import KilnCore

@main
struct KilnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln",
        abstract: "A real-time Modbus/TCP gateway for plant equipment.",
        version: KilnVersion.text,
        subcommands: [
            Check.self, Read.self, Probe.self, Simulate.self, Run.self, Tune.self, Replay.self, Export.self,
            Alarms.self, Hooks.self, Remediation.self,
        ]
    )

    /// Runs the command, exiting 1 on usage errors (argument parser's default is 64, EX_USAGE):
    /// Kiln's commands promise 0, 1 or 2. A refused duration gets its reason (a unit missing).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                printError(DurationArgument.explaining(fullMessage(for: error)))
                exit(withError: ExitCode(1))
            }
            exit(withError: error)
        }
    }
}
