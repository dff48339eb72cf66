import CAllocationCounter
import KilnCore
import KilnMetrics
import KilnModbus
import Prometheus
import Testing

@testable import KilnHistorian
@testable import KilnPoller

/// Metrics are recorded on the poll threads' hot path without allocating: the handles are made
/// once, and recording is an atomic add or a histogram's few additions. Proved by counting this
/// thread's malloc calls (CAllocationCounter) around thousands of recordings through the very
/// functions the poll loop and the historian writer call, into a swift-prometheus registry.
struct MetricsAllocationTests {
    static let rounds = 10_000

    /// The counter counts: an array allocates, and the test sees it.
    @Test func theAllocationCounterSeesAnAllocation() {
        let before = kiln_thread_allocations()
        var total = 0
        for n in 0..<10 {
            let array = [Int](repeating: n, count: 100 + n)
            total += array.count
        }
        let allocations = kiln_thread_allocations() - before
        #expect(total == 1_045)
        #expect(allocations >= 10, "10 arrays, \(allocations) allocations counted")
    }

    @Test func recordingPollMetricsAllocatesNothing() throws {
        let registry = PrometheusCollectorRegistry()
        let device = DeviceConfig(
            name: "boiler-1", host: "127.0.0.1", port: 502,
            tags: [TagConfig(name: "t", register: .holding, address: 0, type: .uint16)])
        let poller = DevicePoller(index: 0, device: device, metrics: KilnPrometheusMetricsFactory(registry: registry))
        let session = try DeviceSession(index: 0, device: device, logger: TestLogging.silent, metrics: poller.metrics)
        let timeout = ModbusError(kind: .timeout, code: 110, message: "timed out")
        let busy = ModbusError(kind: .exception(6), code: 0, message: "")

        func round() {
            session.countRequest(.holding)
            session.requestEnded(now: session.requestSentAt + 150_000)
            session.countFailure(timeout)
            session.countFailure(busy)
            session.countFailedConnect()
            poller.counters.overruns.add(1, ordering: .relaxed)
            poller.counters.update(from: session)
        }
        round()  // the first recording may set up what it needs; the hot path is every one after
        let before = kiln_thread_allocations()
        for _ in 1..<Self.rounds { round() }
        let allocations = kiln_thread_allocations() - before
        #expect(allocations == 0, "\(allocations) allocations in \(Self.rounds - 1) rounds")

        let metrics = try PrometheusText(registry.emitToString())
        let d = ["device": "boiler-1"]
        #expect(metrics.sum("kiln_poll_requests_total", d) == Self.rounds)
        #expect(metrics.sum("kiln_poll_latency_seconds_count", d) == Self.rounds)
        #expect(metrics.sum("kiln_poll_latency_seconds_bucket", ["device": "boiler-1", "le": "0.0001"]) == 0)
        #expect(
            metrics.sum("kiln_poll_latency_seconds_bucket", ["device": "boiler-1", "le": "0.00025"]) == Self.rounds)
        for kind in ["timeout", "exception", "connection"] {
            #expect(metrics.sum("kiln_poll_failures_total", ["device": "boiler-1", "kind": kind]) == Self.rounds)
        }
        #expect(metrics.sum("kiln_poll_cycle_overruns_total", d) == Self.rounds)
        #expect(poller.statistics.failures == 2 * Self.rounds && poller.statistics.failedConnects == Self.rounds)
    }

    @Test func recordingHistorianMetricsAllocatesNothing() throws {
        let registry = PrometheusCollectorRegistry()
        let counters = StatisticsCounters(
            metrics: HistorianMetrics(factory: KilnPrometheusMetricsFactory(registry: registry)))

        func round() {
            counters.committed(rows: 100, nanoseconds: 3_000_000)
            counters.countQueueFull(7)
            counters.countLostStorage(5)
            counters.recordedGap(markers: 2)
        }
        round()
        let before = kiln_thread_allocations()
        for _ in 1..<Self.rounds { round() }
        let allocations = kiln_thread_allocations() - before
        #expect(allocations == 0, "\(allocations) allocations in \(Self.rounds - 1) rounds")

        let metrics = try PrometheusText(registry.emitToString())
        #expect(metrics.sum("kiln_historian_rows_total") == 102 * Self.rounds)
        #expect(metrics.sum("kiln_historian_rows_total") == counters.snapshot.rowsWritten)
        #expect(metrics.sum("kiln_historian_commits_total") == Self.rounds)
        #expect(metrics.sum("kiln_historian_commit_seconds_bucket", ["le": "0.005"]) == Self.rounds)
        #expect(metrics.sum("kiln_historian_commit_seconds_bucket", ["le": "0.0025"]) == 0)
        #expect(metrics.sum("kiln_historian_dropped_total", ["reason": "queue_full"]) == 7 * Self.rounds)
        #expect(metrics.sum("kiln_historian_dropped_total", ["reason": "storage"]) == 5 * Self.rounds)
        #expect(metrics.sum("kiln_historian_gaps_total") == Self.rounds)
    }
}
