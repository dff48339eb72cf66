import KilnHistorian
import KilnPoller

/// The Prometheus `# HELP` text of every metric Kiln records, by name. `promtool check metrics`
/// rejects a metric without one; swift-metrics has no place for it, so the factory adds it
/// (``KilnPrometheusMetricsFactory``).
public enum KilnMetricsHelp {
    /// The poller's and the historian's metrics.
    public static let all: [String: String] = PollerMetricNames.help.merging(HistorianMetrics.help) { a, _ in a }
        .merging(hooks) { a, _ in a }

    // MARK: - Hooks (KilnHooks.HookMetrics; KilnMetrics does not depend on KilnHooks, so the
    // lines are repeated here: keep them equal to HookMetrics.help)

    /// The hooks' delivery metrics.
    public static let hooks: [String: String] = [
        "kiln_hook_deliveries_total": "Outbox events finished per hook, by outcome (delivered, dead).",
        "kiln_hook_attempts_total": "Delivery attempts per hook, by result (ok, error, gone).",
        "kiln_hook_queue_depth": "Outbox events of a hook waiting for delivery.",
        "kiln_hook_dead_letters": "Outbox events of a hook that expired undelivered (dead letters).",
        "kiln_hook_disabled": "1 while a hook is disabled (its receiver answered 410 Gone).",
        "kiln_hook_delivery_latency_seconds": "Time from an event's creation to its delivery, per hook.",
    ]
}
