import ServiceLifecycle

/// One sink as a service: its thread (if queued) runs until the shutdown reaches it, which is
/// after the pipeline has handed over its last batch; it then consumes what is queued and
/// finishes (the historian's last commit).
struct SinkService: Service {
    let lane: SinkLane
    let pipeline: Pipeline

    func run() async throws {
        try lane.start()
        try? await gracefulShutdown()
        // Cancelled rather than shut down (another service failed): still let the pipeline
        // hand over what it has, so nothing it took is lost.
        await pipeline.waitUntilDone()
        await OffPool.run { [lane] in lane.drainAndFinish() }
    }
}
