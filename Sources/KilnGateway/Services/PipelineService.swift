import ServiceLifecycle

/// The conditioning thread as a service: it ends when the poller's queue has closed and
/// everything in it has been handed to the sinks.
struct PipelineService: Service {
    let pipeline: Pipeline

    func run() async throws {
        try pipeline.start()
        await pipeline.waitUntilDone()
    }
}
