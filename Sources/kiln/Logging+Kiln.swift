import ArgumentParser
import Logging

/// `--log-level`, shared by the subcommands that log.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    /// Sends logs to standard error at the chosen level and returns the command's logger.
    func bootstrap(label: String = "kiln", defaultLevel: Logger.Level? = nil) throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown log level '\(logLevel)'")
        }
        let chosen = logLevel == "info" ? (defaultLevel ?? level) : level
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = chosen
            return handler
        }
        return Logger(label: label)
    }
}
