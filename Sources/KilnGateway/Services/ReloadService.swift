import ServiceLifecycle
import UnixSignals

/// Reloads the configuration at each SIGHUP (`systemctl reload`), until the graceful shutdown.
///
/// The signal is trapped when the service starts: before that, the default action of SIGHUP
/// (ending the process) still applies.
struct ReloadService: Service {
    let gateway: Gateway

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                gateway.logger.notice(
                    "SIGHUP: reloading the configuration", metadata: ["kiln.config": "\(gateway.config.path)"])
                _ = await gateway.reload()
            }
        }
    }
}
