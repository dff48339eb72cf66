import KilnHistorian
import KilnPoller
import Prometheus

/// The histogram buckets of Kiln's timers. With swift-prometheus the factory, not the code that
/// records, decides a histogram's buckets: ``KilnPrometheusMetricsFactory`` applies these, and a
/// plain `PrometheusMetricsFactory` gets them through ``apply(to:)``.
public enum KilnMetricsBuckets {
    /// `kiln_poll_latency_seconds`: a Modbus request on a LAN takes 100 µs to a few ms, a
    /// struggling device or serial gateway tens to hundreds of ms, and a timeout (1 s by default)
    /// lands in the top bucket. 1-2.5-5 steps from 100 µs to 1 s.
    public static let pollLatency: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1),
    ]

    /// `kiln_historian_commit_seconds`: a WAL commit of a second's batch takes about a
    /// millisecond; a checkpoint, a slow disk or a large batch takes seconds. 1 ms to 10 s.
    public static let historianCommit: [Duration] = [
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    /// Buckets by timer name (swift-metrics `Timer` label).
    public static let durations: [String: [Duration]] = [
        PollerMetricNames.latency: pollLatency,
        HistorianMetrics.commitSecondsName: historianCommit,
    ]

    /// Makes `factory` use Kiln's buckets for Kiln's timers.
    public static func apply(to factory: inout PrometheusMetricsFactory) {
        factory.durationHistogramBuckets.merge(durations) { _, kiln in kiln }
    }
}
