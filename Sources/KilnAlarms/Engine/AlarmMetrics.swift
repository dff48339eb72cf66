import CoreMetrics

/// The alarm engine's metrics, created once (swift-metrics); their HELP lines are in
/// `KilnMetricsHelp`.
public final class AlarmMetrics: Sendable {
    /// Names, for the HELP lines and tests.
    public static let stateGauge = "kiln_alarms"
    public static let activationsTotal = "kiln_alarm_activations_total"
    public static let chatteringTotal = "kiln_alarm_chattering_total"
    public static let floodsTotal = "kiln_alarm_floods_total"
    public static let commandsTotal = "kiln_alarm_commands_total"

    let states: [AlarmState: Gauge]
    let activations: Counter
    let chattering: Counter
    let floods: Counter
    let commandsApplied: Counter
    let commandsRefused: Counter

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        var states: [AlarmState: Gauge] = [:]
        for s in AlarmState.allCases {
            states[s] = Gauge(label: Self.stateGauge, dimensions: [("state", s.rawValue)], factory: factory)
        }
        self.states = states
        activations = Counter(label: Self.activationsTotal, factory: factory)
        chattering = Counter(label: Self.chatteringTotal, factory: factory)
        floods = Counter(label: Self.floodsTotal, factory: factory)
        commandsApplied = Counter(label: Self.commandsTotal, dimensions: [("result", "applied")], factory: factory)
        commandsRefused = Counter(label: Self.commandsTotal, dimensions: [("result", "refused")], factory: factory)
    }

    /// Counts the alarms in each state.
    func updateStates(_ records: [AlarmRecord]) {
        var counts: [AlarmState: Int] = [:]
        for r in records { counts[r.state, default: 0] += 1 }
        for (state, gauge) in states { gauge.record(counts[state] ?? 0) }
    }

    /// A command applied (true) or refused.
    public func command(applied: Bool) {
        (applied ? commandsApplied : commandsRefused).increment()
    }
}
