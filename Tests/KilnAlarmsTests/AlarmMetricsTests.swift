import Foundation
import KilnAlarms
import KilnCore
import KilnMetrics
import KilnTestSupport
import Prometheus
import Testing

/// The engine's metrics, from a private Prometheus registry: states, activations, chattering,
/// floods and commands, each with its HELP line (promtool accepts the exposition).
@Suite struct AlarmMetricsTests {
    @Test func theEngineCountsWhatItDoes() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = AlarmMetrics(factory: KilnPrometheusMetricsFactory(registry: registry))
        let tags = (0..<12).map {
            temp("t\($0)", address: $0 * 2, alarms: [AlarmDefinition(name: "high", limit: .above(85))])
        }
        let e = AlarmEngine(config: gateway(tags), logger: quietLogger, metrics: metrics)
        for round in 0..<3 {
            for i in 0..<12 {
                let t = t0 + seconds(Double(round * 20 + i))
                _ = e.feed([good(90, at: t, tag: i)])
                _ = e.feed([good(80, at: t + 1, tag: i)])
            }
        }
        _ = try e.act(
            AlarmCommand(action: .shelve, target: "boiler-1/t0/high", note: "x", by: "t"), now: t0 + seconds(100))
        metrics.command(applied: true)
        metrics.command(applied: false)
        _ = e.feed([good(90, at: t0 + seconds(101), tag: 1)])
        let text = registry.emitToString()
        func value(_ line: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap {
                Double($0.split(separator: " ").last ?? "")
            }
        }
        #expect(value("kiln_alarm_activations_total") == 37)
        #expect(value("kiln_alarm_chattering_total") == 12)  // each alarm's third activation
        #expect(value("kiln_alarm_floods_total") == 1)
        #expect(value(#"kiln_alarms{state="shelved"}"#) == 1)
        #expect(value(#"kiln_alarms{state="active_unacknowledged"}"#) == 1)
        #expect(value(#"kiln_alarms{state="returned_unacknowledged"}"#) == 10)
        #expect(value(#"kiln_alarm_commands_total{result="applied"}"#) == 1)
        #expect(text.contains("# HELP kiln_alarm_floods_total Alarm floods begun"))
        let checked = try await promtoolCheckMetrics(text)
        #expect(checked.status == 0, "promtool: \(checked.stdout)\(checked.stderr)\n\(text)")
    }
}
