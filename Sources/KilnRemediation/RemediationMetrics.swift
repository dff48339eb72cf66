import CoreMetrics

/// Remediation's metrics, created once (swift-metrics).
public final class RemediationMetrics: Sendable {
    /// Names, for the HELP lines and tests.
    public static let runsTotal = "kiln_remediation_runs_total"
    public static let queueGauge = "kiln_remediation_queue"
    public static let breakerGauge = "kiln_remediation_breaker_open"

    private let outcomes: [RemediationOutcome: Counter]
    private let states: [RunState: Gauge]
    private let breaker: Gauge

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        var outcomes: [RemediationOutcome: Counter] = [:]
        for o in RemediationOutcome.allCases where o != .breakerOpened && o != .breakerClosed {
            outcomes[o] = Counter(label: Self.runsTotal, dimensions: [("outcome", o.rawValue)], factory: factory)
        }
        self.outcomes = outcomes
        var states: [RunState: Gauge] = [:]
        for s in RunState.allCases where s != .done {
            states[s] = Gauge(label: Self.queueGauge, dimensions: [("state", s.rawValue)], factory: factory)
        }
        self.states = states
        breaker = Gauge(label: Self.breakerGauge, factory: factory)
    }

    /// A run ended so (or moved on: a verified run counts `succeeded`, then `verified`).
    func count(_ outcome: RemediationOutcome) { outcomes[outcome]?.increment() }

    /// The open rows by state.
    func queue(_ rows: [RunRow]) {
        var counts: [RunState: Int] = [:]
        for r in rows { counts[r.state, default: 0] += 1 }
        for (state, gauge) in states { gauge.record(counts[state] ?? 0) }
    }

    func breaker(open: Bool) { breaker.record(open ? 1 : 0) }
}
