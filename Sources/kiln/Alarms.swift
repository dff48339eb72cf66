import ArgumentParser
import KilnAlarms
import KilnCommandLine
import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

extension KilnCommand {
    /// `kiln alarms`: the operator's commands on the alarm state of a gateway's SQLite file.
    struct Alarms: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "alarms",
            abstract: "List, acknowledge, shelve and unshelve alarms; show their history.",
            discussion: """
                Acts on the SQLite file of a gateway (the historian's, named by a gateway config or \
                given with --db), while `kiln run` may be running on it. With an engine running (its \
                heartbeat in the file is under 3 s old) a command is handed to it and applied within a \
                tick (this waits up to 5 s for the result); with none, the command applies the same \
                state machine to the file itself. An ID is an alarm path (boiler-1/supply_temp/high, \
                boiler-1/supply_temp/sensor, boiler-1/comm) or an episode id. Exits 1 on an unknown \
                id or a refused command.
                """,
            subcommands: [List.self, Ack.self, Shelve.self, Unshelve.self, History.self]
        )
    }
}

/// Where a gateway's state lives (its alarms, its remediation queue): a gateway config (its
/// historian file, its hooks and settings) or `--db PATH`.
struct GatewayFileOptions: ParsableArguments {
    @Argument(help: "A gateway config whose historian file holds the state (or give --db).")
    var config: String?

    @Option(name: .long, help: "The gateway's SQLite file.")
    var db: String?

    /// The file and, when one was given, the loaded config; exits 1 with a clear message.
    func resolve() throws -> (path: String, config: GatewayConfig?) {
        var path = db
        var loaded: GatewayConfig?
        if let config {
            guard db == nil else {
                printError("error: give a gateway config or --db, not both")
                throw ExitCode(1)
            }
            let c = try loadConfiguration(config)
            guard let historian = c.historian else {
                printError(
                    "error: \(config) has no historian: without one the gateway's state lives in its memory only")
                throw ExitCode(1)
            }
            path = historian.path
            loaded = c
        }
        guard let path else {
            printError("error: give a gateway config or --db PATH")
            throw ExitCode(1)
        }
        guard access(path, F_OK) == 0 else {
            printError("error: \(path): no such file (has the gateway run with this historian?)")
            throw ExitCode(1)
        }
        return (path, loaded)
    }

    /// The alarm store, the settings and whether the hooks are known; exits 1 with a clear message.
    func open() throws -> (store: AlarmStore, settings: AlarmSettings) {
        let (path, config) = try resolve()
        do {
            return (try AlarmStore(path: path, hooks: config?.hooks, create: false), config?.alarms ?? AlarmSettings())
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}

extension AlarmRecord {
    /// One line of `kiln alarms list`.
    var listLine: String {
        var line = "\(path)  \(state.rawValue)  \(severity.rawValue)"
        if let episode { line += "  episode=\(episode)" }
        if let activeSince { line += "  since=\(Timestamp.rfc3339(micros: activeSince))" }
        if let value { line += "  value=\(Value.format(value))" }
        if let status, status != "Good" { line += "  status=\(status)" }
        if shelved {
            line += "  shelved"
            if let shelvedUntil { line += " until \(Timestamp.rfc3339(micros: shelvedUntil))" }
            if let shelveReason { line += " (\(shelveReason))" }
        }
        if chattering { line += "  chattering" }
        return line
    }
}
