import KilnPoller
import Logging
import ServiceLifecycle

/// The poll threads as a service: started when the group runs, stopped (each thread finishing
/// its cycle and closing its connections) at the graceful shutdown, which then closes the
/// queue so that the pipeline drains it and ends.
struct PollerService: Service {
    let poller: Poller
    let logger: Logger

    func run() async throws {
        do {
            try poller.start()
        } catch {
            await OffPool.run { [poller] in
                poller.stop()
                poller.queue.close()
            }
            throw GatewayError("cannot start polling: \(error)")
        }
        try? await gracefulShutdown()
        logger.info("stopping: polling ends, queues drain")
        await OffPool.run { [poller] in
            poller.stop()
            poller.queue.close()
        }
    }
}
