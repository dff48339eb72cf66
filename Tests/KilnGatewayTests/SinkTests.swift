import Foundation
import KilnCore
import KilnTestSupport
import Synchronization
import Testing

@testable import KilnGateway

/// A sink that blocks in `consume` until released, to play a slow terminal or network.
final class BlockingSink: Sink {
    let name = "slow"
    let delivery: SinkDelivery
    private let released = Atomic<Bool>(false)
    let entered = Atomic<Int>(0)
    let consumed = Atomic<Int>(0)

    init(capacity: Int) { delivery = .queued(capacity: capacity) }

    func consume(_ batch: [Sample]) -> Bool {
        entered.add(1, ordering: .relaxed)
        while !released.load(ordering: .relaxed) { usleep(1_000) }
        consumed.add(batch.count, ordering: .relaxed)
        return true
    }

    func release() { released.store(true, ordering: .relaxed) }
}

struct SinkTests {
    let config = GatewayConfig(
        path: "test", devices: [device("boiler", tags: (0..<5).map { tag("t\($0)", address: 2 * $0) })])

    func batch(_ n: Int) -> [Sample] {
        (0..<5).map {
            Sample(
                device: 0, tag: $0, value: .double(Double(n)), raw: .double(Double(n)), status: .good,
                timestamp: Int64(n))
        }
    }

    /// A slow queued sink fills its own bounded queue, which drops and counts; the other sinks
    /// get every batch, and the metrics say how many each sink dropped.
    @Test func aFullSinkQueueDropsAndCountsWithoutHoldingUpTheOthers() async throws {
        let metrics = MetricsExposition()
        let slow = BlockingSink(capacity: 10)
        let fast = InMemorySink(name: "fast", delivery: .inline)
        let input = SampleQueue()
        let pipeline = Pipeline(
            config: config, index: TagIndex(config), input: input, sinks: [slow, fast], clock: ManualClock(),
            metricsFactory: metrics.factory, logger: quietLogger)
        try pipeline.start()
        for lane in pipeline.lanes { try lane.start() }

        input.push(batch(1))
        #expect(await waitUntil { slow.entered.load(ordering: .relaxed) == 1 }, "the slow sink holds the first batch")
        for n in 2...5 { input.push(batch(n)) }
        #expect(await waitUntil { fast.samples.count == 25 }, "the inline sink got every batch")
        input.close()
        await pipeline.waitUntilDone()

        let stats = pipeline.sinkStatistics
        #expect(stats[0].name == "slow" && stats[0].dropped == 10, "2 batches of 5 fit its queue of 10: \(stats)")
        #expect(stats[1].name == "fast" && stats[1].dropped == 0 && stats[1].consumed == 25)
        slow.release()
        for lane in pipeline.lanes { lane.drainAndFinish() }
        #expect(slow.consumed.load(ordering: .relaxed) == 15)
        #expect(fast.isFinished)

        let text = metrics.text
        #expect(text.contains("kiln_sink_dropped_total{sink=\"slow\"} 10\n"), "\(text)")
        #expect(text.contains("kiln_sink_dropped_total{sink=\"fast\"} 0\n"), "\(text)")
        #expect(text.contains("kiln_sink_samples_total{sink=\"slow\"} 15\n"), "\(text)")
        #expect(text.contains("kiln_pipeline_samples_in_total 25\n"), "\(text)")
        #expect(text.contains("# HELP kiln_sink_dropped_total "), "\(text)")
    }

    @Test func conditioningFaultsAreCountedByClass() throws {
        let metrics = MetricsExposition()
        let sink = ConditioningMetricsSink(factory: metrics.factory)
        _ = sink.consume([
            Sample(device: 0, tag: 0, value: nil, raw: nil, status: .badCommunicationError, fault: .comm, timestamp: 0),
            Sample(device: 0, tag: 1, value: nil, raw: nil, status: .badCommunicationError, fault: .comm, timestamp: 0),
            Sample(
                device: 0, tag: 2, value: .double(1), raw: .double(9), status: .uncertainLastUsableValue, fault: .spike,
                timestamp: 0),
            Sample(device: 0, tag: 3, value: .double(1), raw: .double(1), status: .good, timestamp: 0),
        ])
        let text = metrics.text
        #expect(text.contains("kiln_conditioning_faults_total{class=\"comm\"} 2\n"), "\(text)")
        #expect(text.contains("kiln_conditioning_faults_total{class=\"spike\"} 1\n"), "\(text)")
        #expect(text.contains("kiln_conditioning_faults_total{class=\"stale\"} 0\n"), "\(text)")
        #expect(text.contains("kiln_conditioned_samples_total{quality=\"bad\"} 2\n"), "\(text)")
        #expect(text.contains("kiln_conditioned_samples_total{quality=\"uncertain\"} 1\n"), "\(text)")
        #expect(text.contains("kiln_conditioned_samples_total{quality=\"good\"} 1\n"), "\(text)")
    }

    @Test func theMetricsFileIsReplacedWhole() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let metrics = MetricsExposition()
        _ = ConditioningMetricsSink(factory: metrics.factory)
        let path = try dir.write("metrics.prom", "old contents\n")
        try metrics.write(to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == metrics.text && text.contains("kiln_conditioning_faults_total"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["metrics.prom"], "no temporary left")
        #expect(throws: GatewayError.self) { try metrics.write(to: dir.file("no/such/folder/metrics.prom")) }
    }
}
