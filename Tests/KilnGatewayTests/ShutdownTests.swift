import Foundation
import KilnCore
import KilnTestSupport
import Synchronization
import Testing

@testable import KilnGateway

/// A sink whose last flush hangs until released.
final class HangingSink: Sink {
    let name = "hanging"
    var delivery: SinkDelivery { .inline }
    private let released = Atomic<Bool>(false)
    func consume(_ batch: [Sample]) -> Bool { true }
    func finish() { while !released.load(ordering: .relaxed) { usleep(1_000) } }
    func release() { released.store(true, ordering: .relaxed) }
}

/// The gateway's own shutdown, in process: the bound, and the order of the drain.
struct ShutdownTests {
    func config(timeout: Duration) throws -> GatewayConfig {
        // A device nobody listens on: its polls fail fast (connection refused), as bad samples.
        GatewayConfig(
            path: "test", shutdownTimeout: timeout,
            devices: [device("boiler", port: try freePort(), tags: [tag("supply")])])
    }

    @Test func aShutdownPastTheBoundReportsWhatItAbandoned() async throws {
        let hanging = HangingSink()
        defer { hanging.release() }
        let gateway = try Gateway(
            // The bound is generous so that a loaded machine still drains the pipeline before
            // it passes; the hanging sink never finishes, so the shutdown is abandoned anyway.
            config: try config(timeout: .seconds(3)), sinks: [hanging],
            options: .init(metricsFactory: MetricsExposition().factory, shutdownSignals: []), logger: quietLogger)
        let outcome = await gateway.run(for: .milliseconds(300))
        guard case .abandoned(let lines) = outcome else {
            Issue.record("expected the shutdown to be abandoned, got \(outcome)")
            return
        }
        #expect(lines.contains("sink hanging: had not finished (its last flush)"), "\(lines)")
        // The hanging sink holds neither polling nor conditioning: the pipeline drains (on a
        // machine so loaded that the bound passed first, within a little more).
        var drained = gateway.pipeline.isDone
        for _ in 0..<300 where !drained {
            try await Task.sleep(for: .milliseconds(100))
            drained = gateway.pipeline.isDone
        }
        #expect(drained, "polling stopped and the pipeline drained while the sink hung")
    }

    @Test func aCleanShutdownDrainsEverySinkAndEndsStopped() async throws {
        let memory = InMemorySink(name: "memory")
        let gateway = try Gateway(
            config: try config(timeout: .seconds(120)), sinks: [memory],
            options: .init(metricsFactory: MetricsExposition().factory, shutdownSignals: []), logger: quietLogger)
        let outcome = await gateway.run(for: .milliseconds(500))
        #expect(outcome == .stopped)
        #expect(memory.isFinished)
        let received = memory.samples
        #expect(!received.isEmpty, "the refused connection still gives bad samples")
        #expect(received.allSatisfy { $0.fault == .comm && $0.status.isBad })
        #expect(received.count == gateway.pipeline.samplesOut, "every conditioned sample reached the queued sink")
        #expect(gateway.live.sample(device: 0, tag: 0)?.fault == .comm)
    }
}
