import CoreMetrics

/// The hooks' metrics, created once per hook with its name as a label.
public struct HookMetrics: Sendable {
    public static let deliveriesName = "kiln_hook_deliveries_total"
    public static let attemptsName = "kiln_hook_attempts_total"
    public static let queueDepthName = "kiln_hook_queue_depth"
    public static let deadLettersName = "kiln_hook_dead_letters"
    public static let disabledName = "kiln_hook_disabled"
    public static let latencyName = "kiln_hook_delivery_latency_seconds"

    /// Prometheus `# HELP` lines, by name.
    public static let help: [String: String] = [
        deliveriesName: "Outbox events finished per hook, by outcome (delivered, dead).",
        attemptsName: "Delivery attempts per hook, by result (ok, error, gone).",
        queueDepthName: "Outbox events of a hook waiting for delivery.",
        deadLettersName: "Outbox events of a hook that expired undelivered (dead letters).",
        disabledName: "1 while a hook is disabled (its receiver answered 410 Gone).",
        latencyName: "Time from an event's creation to its delivery, per hook.",
    ]

    let delivered: Counter
    let dead: Counter
    let attemptOK: Counter
    let attemptError: Counter
    let attemptGone: Counter
    let queueDepth: Gauge
    let deadLetters: Gauge
    let disabled: Gauge
    let latency: Timer

    /// - Parameters:
    ///   - hook: the hook's name (the `hook` label).
    ///   - factory: where the metrics go; nil for swift-metrics' global factory.
    public init(hook: String, factory: (any MetricsFactory)? = nil) {
        let f = factory ?? MetricsSystem.factory
        delivered = Counter(
            label: Self.deliveriesName, dimensions: [("hook", hook), ("outcome", "delivered")], factory: f)
        dead = Counter(label: Self.deliveriesName, dimensions: [("hook", hook), ("outcome", "dead")], factory: f)
        attemptOK = Counter(label: Self.attemptsName, dimensions: [("hook", hook), ("result", "ok")], factory: f)
        attemptError = Counter(label: Self.attemptsName, dimensions: [("hook", hook), ("result", "error")], factory: f)
        attemptGone = Counter(label: Self.attemptsName, dimensions: [("hook", hook), ("result", "gone")], factory: f)
        queueDepth = Gauge(label: Self.queueDepthName, dimensions: [("hook", hook)], factory: f)
        deadLetters = Gauge(label: Self.deadLettersName, dimensions: [("hook", hook)], factory: f)
        disabled = Gauge(label: Self.disabledName, dimensions: [("hook", hook)], factory: f)
        latency = Timer(label: Self.latencyName, dimensions: [("hook", hook)], factory: f)
    }
}
