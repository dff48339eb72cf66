import CoreMetrics
import KilnCore
import Metrics

/// The handles of one sink, created once with its label.
struct SinkMetrics: Sendable {
    let depth: Gauge
    let dropped: Counter
    let consumed: Counter

    init(sink: String, factory: any MetricsFactory) {
        let labels = [("sink", sink)]
        depth = Gauge(label: "kiln_sink_queue_depth", dimensions: labels, factory: factory)
        dropped = Counter(label: "kiln_sink_dropped_total", dimensions: labels, factory: factory)
        consumed = Counter(label: "kiln_sink_samples_total", dimensions: labels, factory: factory)
    }
}

/// The pipeline's own handles: samples in from the poller, out to the sinks.
struct PipelineMetrics: Sendable {
    /// Samples taken from the poller's queue.
    let samplesIn: Counter
    /// Conditioned samples handed to the sinks (the polled ones and the stale ones the clock found).
    let samplesOut: Counter
    /// Samples the poller's queue refused (the conditioning fell behind).
    let inputDropped: Gauge

    init(factory: any MetricsFactory) {
        samplesIn = Counter(label: "kiln_pipeline_samples_in_total", factory: factory)
        samplesOut = Counter(label: "kiln_pipeline_samples_out_total", factory: factory)
        inputDropped = Gauge(label: "kiln_pipeline_input_dropped", factory: factory)
    }
}

/// The handles of configuration reloads (SIGHUP).
struct ReloadMetrics: Sendable {
    /// Reloads refused (the new configuration was invalid, or needed a restart).
    let failures: Counter
    /// 1 when the last reload (or the start) applied its configuration, 0 when it was refused.
    let lastSuccess: Gauge

    init(factory: any MetricsFactory) {
        failures = Counter(label: "kiln_config_reload_failures_total", factory: factory)
        lastSuccess = Gauge(label: "kiln_config_last_reload_success", factory: factory)
    }
}
