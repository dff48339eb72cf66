import KilnHistorian
import KilnPoller

/// The Prometheus `# HELP` text of every metric Kiln records, by name. `promtool check metrics`
/// rejects a metric without one; swift-metrics has no place for it, so the factory adds it
/// (``KilnPrometheusMetricsFactory``).
public enum KilnMetricsHelp {
    /// The poller's and the historian's metrics.
    public static let all: [String: String] = PollerMetricNames.help.merging(HistorianMetrics.help) { a, _ in a }
}
