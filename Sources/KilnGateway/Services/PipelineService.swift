import ServiceLifecycle

/// The conditioning thread as a service: its thread ends when the poller's queue has closed
/// and everything in it has been handed to the sinks.
struct PipelineService: Service {
    let pipeline: Pipeline

    func run() async throws {
        try pipeline.start()
        await pipeline.waitUntilDone()
        // The thread may end (the poller closed the queue) a moment before the group's shutdown
        // reaches this service; returning first would read as a service that ended on its own.
        try? await gracefulShutdown()
    }
}
