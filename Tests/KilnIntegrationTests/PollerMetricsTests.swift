import Foundation
import KilnCore
import KilnMetrics
import KilnModbus
import KilnPoller
import Prometheus
import Testing

/// The poll metrics, emitted as Prometheus text from a private registry after polling real
/// peers, agree with the poller's own statistics (and with the simulator's count of what it
/// served), and pass `promtool check metrics`.
struct PollerMetricsTests {
    static let simulatedTags = [
        MapTag("temp", .holding, 0, .float32), MapTag("flow", .input, 0, .uint16), MapTag("pump", .coil, 0, .bool),
    ]

    /// Starts `kiln simulate` on a map with device `sim` (unit 1); returns it and its port.
    static func startSimulator(in directory: TemporaryDirectory) throws -> (ChildProcess, Int) {
        let map = try directory.write(DeviceMap([MapDevice("sim", port: 502, tags: simulatedTags)]), as: "sim.yaml")
        let simulator = try KilnCLI.start(["simulate", map, "--port", "0", "--stats"])
        let banner = simulator.waitForLine(timeout: .seconds(20)) { $0.hasPrefix("serving ") }
        guard let port = banner?.split(separator: ":").last.flatMap({ Int($0) }) else {
            simulator.stop()
            simulator.waitForOutput()
            throw PrometheusText.Malformed(line: "no simulator banner: \(simulator.stderr.text)")
        }
        return (simulator, port)
    }

    @Test func pollMetricsMatchThePollerStatisticsAcrossHealthyAndFailingDevices() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (simulator, simPort) = try Self.startSimulator(in: directory)
        defer { simulator.stop() }
        let hostile = try HostilePeer(modes: ["between", "wrong-tid", "late", "reset"], lateMs: 300)
        defer { hostile.stop() }
        let dead = try Loopback.unusedPort()

        let map = DeviceMap([
            MapDevice("sim", port: simPort, timeout: "300ms", poll: "50ms", tags: Self.simulatedTags),
            // No such unit behind the simulator: exception 0x0B to every request.
            MapDevice("ghost", port: simPort, unit: 9, timeout: "300ms", poll: "100ms", tags: [Self.simulatedTags[0]]),
            MapDevice("dead", port: dead, timeout: "200ms", poll: "100ms", tags: [Self.simulatedTags[0]]),
            hostile.device("between"), hostile.device("wrong-tid"), hostile.device("late"), hostile.device("reset"),
        ])
        let registry = PrometheusCollectorRegistry()
        let poller = Poller(
            config: map.gateway, logger: TestLogging.silent, metrics: KilnPrometheusMetricsFactory(registry: registry))
        try poller.start()
        let polled = Poll.until(timeout: .seconds(10)) {
            let s = poller.statistics
            return s[0].requests >= 60 && s[1].failures >= 5 && s[2].failedConnects >= 3
                && s[3].discards.unasked > 0 && s[4].discards.mismatched > 0 && s[5].failures > 0 && s[6].failures > 0
        }
        poller.stop()
        let statistics = poller.statistics
        #expect(polled, "every device did what the test needs: \(statistics)")

        let metrics = try PrometheusText(registry.emitToString())
        for (device, stats) in zip(map.devices.map(\.name), statistics) {
            let d = ["device": device]
            #expect(metrics.sum("kiln_poll_requests_total", d) == stats.requests, "\(device)")
            let failed = metrics.sum("kiln_poll_failures_total", d)
            let connects = metrics.sum("kiln_poll_failures_total", d.merging(["kind": "connection"]) { a, _ in a })
            #expect(failed - connects == stats.failures, "\(device)")
            #expect(connects == stats.failedConnects, "\(device)")
            #expect(metrics.sum("kiln_poll_cycle_overruns_total", d) == stats.overruns, "\(device)")
            #expect(
                metrics.sum("kiln_poll_discarded_frames_total", ["device": device, "reason": "unasked"])
                    == stats.discards.unasked, "\(device)")
            #expect(
                metrics.sum("kiln_poll_discarded_frames_total", ["device": device, "reason": "mismatched"])
                    == stats.discards.mismatched, "\(device)")
            // Every request ended (and its latency was recorded) but, at most, the one in flight at stop.
            let timed = metrics.sum("kiln_poll_latency_seconds_count", d)
            #expect(timed <= stats.requests && timed >= stats.requests - 1, "\(device): \(timed) of \(stats.requests)")
            #expect(metrics.sum("kiln_poll_latency_seconds_bucket", ["device": device, "le": "+Inf"]) == timed)
        }

        // The healthy device: one request a register kind a scan, none failed; the simulator
        // served every request the metrics counted.
        #expect(statistics[0].failures == 0 && statistics[0].failedConnects == 0)
        for kind in ["holding", "input", "coil"] {
            #expect(metrics.sum("kiln_poll_requests_total", ["device": "sim", "kind": kind]) > 0, "\(kind)")
        }
        #expect(
            !metrics.has("kiln_poll_requests_total", ["device": "sim", "kind": "discrete"]), "a kind it never reads")
        let fast = metrics.sum("kiln_poll_latency_seconds_bucket", ["device": "sim", "le": "0.1"])
        #expect(fast == metrics.sum("kiln_poll_latency_seconds_count", ["device": "sim"]), "loopback answers in 100 ms")
        simulator.stop()
        simulator.waitForOutput()
        let served = simulator.stdout.lines.first { $0.hasPrefix("sim (unit 1") }
        let counted = metrics.sum("kiln_poll_requests_total", ["device": "sim"])
        #expect(served?.hasSuffix(": \(counted) requests") == true, "simulator: \(served ?? simulator.stdout.text)")

        // Each failing device fails for its own reason.
        let kind = { (device: String, kind: String) in
            metrics.sum("kiln_poll_failures_total", ["device": device, "kind": kind])
        }
        #expect(kind("ghost", "exception") == statistics[1].failures && statistics[1].failures > 0)
        #expect(kind("dead", "connection") > 0 && metrics.sum("kiln_poll_requests_total", ["device": "dead"]) == 0)
        #expect(kind("late", "timeout") > 0)
        #expect(kind("reset", "transport") > 0)

        // Every thread reported the policy it achieved.
        let threads = ["fifo", "rr", "nice", "other"].map { metrics.sum("kiln_poller_threads", ["policy": $0]) }
        #expect(
            threads.reduce(0, +) == poller.achievedPriorities.count && threads[3] == poller.achievedPriorities.count)

        let check = try metrics.promtoolCheck()
        #expect(check.status == 0, "promtool check metrics: \(check.output)\n\(metrics.text)")
    }

    /// One session polled to the end of each scan: every request's latency is recorded, so the
    /// histogram counts exactly the requests sent.
    @Test func latencyHistogramCountsEveryRequestOfASession() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (simulator, port) = try Self.startSimulator(in: directory)
        defer { simulator.stop() }
        let registry = PrometheusCollectorRegistry()
        let device = MapDevice("sim", port: port, timeout: "500ms", tags: Self.simulatedTags).config
        let session = try DeviceSession(
            index: 0, device: device, logger: TestLogging.silent,
            metrics: DeviceMetrics(device: device, factory: KilnPrometheusMetricsFactory(registry: registry)))
        var samples: [Sample] = []
        for _ in 0..<25 {
            for scan in session.scanClasses.indices { session.poll(scan: scan, into: &samples) }
        }
        session.close()
        #expect(samples.allSatisfy { $0.status == .good })
        let metrics = try PrometheusText(registry.emitToString())
        #expect(session.stats.requests == 75, "three register kinds, 25 scans")
        #expect(metrics.sum("kiln_poll_requests_total", ["device": "sim"]) == session.stats.requests)
        #expect(metrics.sum("kiln_poll_latency_seconds_count", ["device": "sim"]) == session.stats.requests)
        #expect(metrics.sum("kiln_poll_latency_seconds_bucket", ["device": "sim", "le": "1.0"]) == 75)
        #expect(metrics.sum("kiln_poll_failures_total", ["device": "sim"]) == 0)
        // The buckets are Kiln's: 100 µs to 1 s.
        let bounds = metrics.samples.filter { $0.name == "kiln_poll_latency_seconds_bucket" }.compactMap {
            $0.labels["le"].flatMap(Double.init)
        }
        #expect(bounds.min() == 0.0001 && bounds.filter { $0.isFinite }.max() == 1)
        let check = try metrics.promtoolCheck()
        #expect(check.status == 0, "promtool check metrics: \(check.output)\n\(metrics.text)")
    }
}
