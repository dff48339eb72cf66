import CoreMetrics
import Prometheus

/// A swift-metrics factory over a swift-prometheus registry, like swift-prometheus's own
/// `PrometheusMetricsFactory`, that also gives each metric its `# HELP` line (from a table by
/// name) and its timer's buckets (``KilnMetricsBuckets``): Prometheus' `promtool check metrics`
/// rejects an exposition whose metrics have no help.
///
/// Bootstrap it once (`MetricsSystem.bootstrap`) before the poller and the historian are built,
/// or hand it to them (their `metrics:` parameter), as tests do with a private registry.
public struct KilnPrometheusMetricsFactory: MetricsFactory {
    public let registry: PrometheusCollectorRegistry
    /// Help text by metric name; a metric missing from it is described by its name.
    public var help: [String: String]
    /// Timer (duration histogram) buckets by name.
    public var durationBuckets: [String: [Duration]]
    /// Buckets of a timer missing from ``durationBuckets``.
    public var defaultDurationBuckets: [Duration]
    /// Buckets of an aggregating recorder (a value histogram), for any name.
    public var valueBuckets: [Double]

    /// - Parameters:
    ///   - registry: where the metrics are registered and whence they are emitted.
    ///   - help: help text by metric name, added to Kiln's own (``KilnMetricsHelp``).
    public init(registry: PrometheusCollectorRegistry, help: [String: String] = [:]) {
        self.registry = registry
        self.help = KilnMetricsHelp.all.merging(help) { _, extra in extra }
        self.durationBuckets = KilnMetricsBuckets.durations
        let prometheus = PrometheusMetricsFactory(registry: registry)
        self.defaultDurationBuckets = prometheus.defaultDurationHistogramBuckets
        self.valueBuckets = prometheus.defaultValueHistogramBuckets
    }

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: help[label] ?? label.replacing("_", with: " "))
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)])
        -> any FloatingPointCounterHandler
    {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: valueBuckets)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(
            descriptor: descriptor(label), labels: dimensions,
            buckets: durationBuckets[label] ?? defaultDurationBuckets)
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge {
            registry.unregisterGauge(gauge)
        } else if let histogram = handler as? ValueHistogram {
            registry.unregisterValueHistogram(histogram)
        }
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
