import ArgumentParser
import KilnCommandLine
import KilnCore

extension KilnCommand {
    struct Hooks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hooks",
            abstract: "Inspect and test the delivery of alarm events to ops tooling.",
            subcommands: [Status.self, Test.self, Enable.self]
        )
    }
}

/// The gateway config or SQLite file a `kiln hooks` command acts on.
struct HooksTarget: ParsableArguments {
    @Argument(help: "The gateway config (its historian file holds the outbox), or give --db.")
    var file: String?

    @Option(name: .long, help: "The gateway's SQLite file.")
    var db: String?

    /// The hooks of the config (none with --db only) and the database path.
    func resolve() throws -> (hooks: [HookConfig], database: String) {
        switch (file, db) {
        case (nil, let db?): return ([], db)
        case (let file?, let db):
            let config = try loadConfiguration(file)
            if let db { return (config.hooks, db) }
            guard let historian = config.historian else {
                printError("error: \(file) has no historian: section (the outbox lives in its file); give --db PATH")
                throw ExitCode(1)
            }
            return (config.hooks, historian.path)
        case (nil, nil):
            printError("error: give a gateway config or --db PATH")
            throw ExitCode(1)
        }
    }
}
