import ServiceLifecycle

/// The sinks, conditioning and poll threads of the running configuration as one service, and
/// the staleness sweep's ticker; a reload (``Gateway/reload()``) replaces them while it runs.
///
/// Started, it starts the sinks' threads, conditioning and polling. At the graceful shutdown
/// it waits for a reload in progress, then stops polling, lets conditioning drain the poller's
/// queue into every sink, and each sink drain its own queue and finish, the historian last.
struct GenerationService: Service {
    let gateway: Gateway

    func run() async throws {
        let first = gateway.generation
        do {
            try await first.start()
        } catch {
            // Nothing the sinks took is lost: they finish (the historian's last commit).
            for lane in first.pipeline.lanes.reversed() { await OffPool.run { lane.drainAndFinish() } }
            throw error
        }
        await gateway.reloadGate.open()
        let clock = gateway.options.clock
        try? await cancelWhenGracefulShutdown {
            while true {
                try await clock.sleep(for: gateway.generation.staleTick)
                gateway.generation.pipeline.tick()
            }
        }
        // Cancelled rather than shut down (another service failed): still drain, so nothing
        // polled is lost.
        await gateway.reloadGate.close()
        let last = gateway.generation
        gateway.logger.info("stopping: polling ends, queues drain")
        await last.stopPolling()
        await last.drain(finishing: true)
    }
}
