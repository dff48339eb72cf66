import CoreMetrics

/// `kiln_poller_threads{policy}`: how many poller threads achieved each scheduling policy (fifo,
/// rr, nice, other), so a gateway that asked for real time and did not get it shows it.
struct PollerThreadMetrics: Sendable {
    /// By policy label, in ``labels`` order.
    private let gauges: [Gauge]

    static let labels = ["fifo", "rr", "nice", "other"]

    init(factory: (any MetricsFactory)?) {
        let factory = factory ?? MetricsSystem.factory
        gauges = PollerThreadMetrics.labels.map {
            Gauge(label: PollerMetricNames.threads, dimensions: [("policy", $0)], factory: factory)
        }
        for gauge in gauges { gauge.record(0) }
    }

    /// Records the number of threads at each policy, from what each started thread achieved.
    func record(_ achieved: [AchievedPriority]) {
        for (label, gauge) in zip(PollerThreadMetrics.labels, gauges) {
            gauge.record(achieved.count { $0.policyLabel == label })
        }
    }
}

extension AchievedPriority {
    /// The `policy` label: fifo, rr, nice or other.
    public var policyLabel: String {
        switch self {
        case .realtime(let policy, _): policy.rawValue
        case .nice: "nice"
        case .normal: "other"
        }
    }
}
