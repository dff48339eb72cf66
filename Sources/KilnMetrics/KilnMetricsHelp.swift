import KilnHistorian
import KilnPoller

/// The Prometheus `# HELP` text of every metric Kiln records, by name. `promtool check metrics`
/// rejects a metric without one; swift-metrics has no place for it, so the factory adds it
/// (``KilnPrometheusMetricsFactory``).
public enum KilnMetricsHelp {
    /// The poller's and the historian's metrics.
    public static let all: [String: String] = PollerMetricNames.help.merging(HistorianMetrics.help) { a, _ in a }
        .merging(alarms) { a, _ in a }
        .merging(hooks) { a, _ in a }
        .merging(remediation) { a, _ in a }

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

    /// Remediation's metrics (KilnRemediation's `RemediationMetrics`).
    public static let remediation: [String: String] = [
        "kiln_remediation_runs_total":
            "Remediation runs and decisions by outcome (succeeded, failed, timed_out, refused_host_key, dry_run, "
            + "rejected, cancelled, interrupted, verified, ineffective).",
        "kiln_remediation_queue":
            "Remediation runs not done, by state (awaiting_approval, queued, running, verifying).",
        "kiln_remediation_breaker_open": "1 while the max_per_hour breaker holds every remediation run.",
    ]
}
