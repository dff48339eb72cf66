import KilnCore
import ServiceLifecycle

/// Asks the pipeline for a staleness sweep every `interval` of the injected clock, until the
/// graceful shutdown.
struct TickerService: Service {
    let pipeline: Pipeline
    let clock: any EpochClock
    let interval: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                try await clock.sleep(for: interval)
                pipeline.tick()
            }
        }
    }
}
