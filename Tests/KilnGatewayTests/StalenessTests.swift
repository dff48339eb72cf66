import KilnCore
import ServiceLifecycle
import Testing

@testable import KilnGateway

/// Staleness swept by the injected clock: a tag with no poll for three periods is reported once
/// the clock says so, whatever the real time.
struct StalenessTests {
    let config = GatewayConfig(path: "test", devices: [device("boiler", tags: [tag("supply", poll: .seconds(1))])])

    func pipeline(_ clock: ManualClock, _ sink: InMemorySink, input: SampleQueue) -> Pipeline {
        Pipeline(
            config: config, index: TagIndex(config), input: input, sinks: [sink], clock: clock,
            metricsFactory: MetricsExposition().factory, logger: quietLogger)
    }

    @Test func aTagSilentForThreePollPeriodsGoesStaleAtTheClocksTime() async throws {
        let clock = ManualClock()
        let input = SampleQueue()
        let sink = InMemorySink(delivery: .inline)
        let pipeline = pipeline(clock, sink, input: input)
        try pipeline.start()
        let t0 = clock.now.microseconds
        input.push([Sample(device: 0, tag: 0, value: .double(80), raw: .double(80), status: .good, timestamp: t0)])
        #expect(await waitUntil { sink.samples.count == 1 })

        clock.advance(by: .seconds(2))
        pipeline.tick()
        #expect(await waitUntil { pipeline.sweeps == 1 })
        #expect(sink.samples.count == 1, "two periods: not stale yet")

        clock.advance(by: .seconds(1))
        pipeline.tick()
        #expect(await waitUntil { pipeline.sweeps == 2 })
        let samples = sink.samples
        try #require(samples.count == 2, "\(samples)")
        #expect(samples[1].fault == .stale)
        #expect(samples[1].status == .uncertainNoCommunicationLastUsableValue)
        #expect(samples[1].value == .double(80), "the last usable value")
        #expect(samples[1].timestamp == t0 + 3_000_000, "stamped with the clock's time")
        #expect(pipeline.staleSamples == 1)

        input.close()
        await pipeline.waitUntilDone()
        #expect(pipeline.samplesIn == 1 && pipeline.samplesOut == 2)
    }

    /// The ticker sleeps on the injected clock: moving the clock is what makes it sweep.
    @Test func theTickerSweepsWhenTheClockMoves() async throws {
        let clock = ManualClock()
        let input = SampleQueue()
        let sink = InMemorySink(delivery: .inline)
        let pipeline = pipeline(clock, sink, input: input)
        try pipeline.start()
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [TickerService(pipeline: pipeline, clock: clock, interval: .seconds(1))],
                logger: quietLogger))
        let running = Task { try await group.run() }
        // Generous waits: with the whole suite running, the cooperative pool (two threads here)
        // can be busy for seconds before the ticker's task runs.
        for n in 1...3 {
            try #require(await waitUntil(timeout: .seconds(90)) { clock.sleeperCount == 1 })
            #expect(pipeline.sweeps == n - 1, "no sweep before the clock moves")
            clock.advance(by: .seconds(1))
            try #require(await waitUntil(timeout: .seconds(90)) { pipeline.sweeps == n })
        }
        await group.triggerGracefulShutdown()
        try await running.value
        input.close()
        await pipeline.waitUntilDone()
    }
}
