import KilnHistorian
import KilnPoller

/// The Prometheus `# HELP` text of every metric Kiln records, by name. `promtool check metrics`
/// rejects a metric without one; swift-metrics has no place for it, so the factory adds it
/// (``KilnPrometheusMetricsFactory``).
public enum KilnMetricsHelp {
    /// The poller's and the historian's metrics.
    public static let all: [String: String] = PollerMetricNames.help.merging(HistorianMetrics.help) { a, _ in a }
        .merging(alarms) { a, _ in a }

    /// The alarm engine's metrics (KilnAlarms' `AlarmMetrics`).
    public static let alarms: [String: String] = [
        "kiln_alarms": "Alarms in each ISA-18.2 state (normal, active_unacknowledged, ..., out_of_service).",
        "kiln_alarm_activations_total": "Alarm activations (a condition held past its on-delay).",
        "kiln_alarm_chattering_total":
            "Alarm episodes flagged chattering (chatter_count activations within the window).",
        "kiln_alarm_floods_total":
            "Alarm floods begun (more than flood_count activations across the gateway in the window).",
        "kiln_alarm_commands_total":
            "Operators' alarm commands (ack, shelve, unshelve), by result: applied or refused.",
    ]
}
