import ArgumentParser
import KilnCommandLine
import KilnCore
import KilnGateway
import Logging

extension KilnCommand.Run {
    /// Takes the config's `pid_file` lock, held until the process ends; exits 1 naming the PID
    /// of the `kiln run` that holds it, or saying what is wrong with the path.
    func lockInstance(_ config: GatewayConfig, logger: Logger) throws -> PIDFile? {
        guard let path = config.pidFile else {
            logger.info("no pid_file and no historian: a second kiln run of this config is not refused")
            return nil
        }
        do {
            return try PIDFile(path: path)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}
