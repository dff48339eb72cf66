import KilnCore
import KilnPoller
import KilnRemediation
import Logging

/// What one configuration runs: its poll threads, its conditioning, its live state and the
/// lanes to every sink. A reload builds the next one beside it and hands over; the sinks that
/// keep state in the historian's file (historian, alarms) are shared by every generation.
final class Generation: Sendable {
    let config: GatewayConfig
    let index: TagIndex
    let poller: Poller
    let pipeline: Pipeline
    let live: LiveState
    /// The staleness sweep's interval: the option, or the shortest poll period kept within
    /// 50 ms and 1 s.
    let staleTick: Duration

    private init(
        config: GatewayConfig, index: TagIndex, poller: Poller, pipeline: Pipeline, live: LiveState, staleTick: Duration
    ) {
        self.config = config
        self.index = index
        self.poller = poller
        self.pipeline = pipeline
        self.live = live
        self.staleTick = staleTick
    }

    /// The sinks in order: the shared ones (historian, alarms), remediation's verify tags, the
    /// live state, the conditioning metrics, then the caller's.
    static func make(
        config: GatewayConfig, shared: [any Sink], remediation: RemediationService?,
        conditioningMetrics: ConditioningMetricsSink, callerSinks: [any Sink], options: Gateway.Options,
        logger: Logger
    ) -> Generation {
        let index = TagIndex(config)
        var sinks = shared
        if let remediation { sinks.append(RemediationSink(service: remediation, config: config)) }
        let live = LiveState(index: index)
        sinks.append(live)
        sinks.append(conditioningMetrics)
        sinks += callerSinks
        let poller = Poller(
            config: config, queueCapacity: options.queueCapacity, logger: logger, metrics: options.metricsFactory)
        let pipeline = Pipeline(
            config: config, index: index, input: poller.queue, sinks: sinks, clock: options.clock,
            metricsFactory: options.metricsFactory, arrival: options.arrival, logger: logger)
        let tick: Duration
        if let fixed = options.staleTick {
            tick = fixed
        } else {
            let shortest = config.devices.lazy.flatMap { $0.tags.map(\.poll) }.min() ?? .seconds(1)
            tick = min(max(shortest, .milliseconds(50)), .seconds(1))
        }
        return Generation(config: config, index: index, poller: poller, pipeline: pipeline, live: live, staleTick: tick)
    }

    /// Starts the sinks' threads and conditioning, then polling. When polling cannot start,
    /// everything started is stopped again (the shared sinks are not finished) and the error thrown.
    func start() async throws(GatewayError) {
        for lane in pipeline.lanes { try lane.start() }
        try pipeline.start()
        do {
            try poller.start()
        } catch {
            await stopPolling()
            await drain(finishing: false)
            throw GatewayError("cannot start polling: \(error)")
        }
    }

    /// Stops the poll threads (each finishing its cycle and closing its connections) and closes
    /// the queue, so that conditioning drains it and ends.
    func stopPolling() async {
        await OffPool.run { [poller] in
            poller.stop()
            poller.queue.close()
        }
    }

    /// After ``stopPolling()``: waits for conditioning to hand over its last batch, then lets
    /// every queued sink consume what it holds, the last sink first and the historian last;
    /// `finishing` also finishes every sink (the historian's last commit), at the shutdown.
    func drain(finishing: Bool) async {
        await pipeline.waitUntilDone()
        for lane in pipeline.lanes.reversed() {
            await OffPool.run { finishing ? lane.drainAndFinish() : lane.drain() }
        }
    }
}
