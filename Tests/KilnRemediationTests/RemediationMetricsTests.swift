import KilnMetrics
import KilnTestSupport
import Prometheus
import Testing

@testable import KilnRemediation

/// Remediation's metrics as Prometheus exposes them, each with its HELP line (promtool accepts
/// the exposition).
@Suite struct RemediationMetricsTests {
    @Test func outcomesQueueAndBreakerAreExposed() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = RemediationMetrics(factory: KilnPrometheusMetricsFactory(registry: registry))
        metrics.count(.succeeded)
        metrics.count(.succeeded)
        metrics.count(.refusedHostKey)
        metrics.count(.breakerOpened)  // not a run: no series
        let row = RunRow(
            id: 1, rule: "r", host: "h", alarm: "a", episode: "e", attempt: 1, state: .awaitingApproval, mode: .approve,
            argv: [], created: 0, persistedAt: 0, due: 0)
        metrics.queue([row, row])
        metrics.breaker(open: true)
        let text = registry.emitToString()
        func value(_ series: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
                Double($0.split(separator: " ").last ?? "")
            }
        }
        #expect(value(#"kiln_remediation_runs_total{outcome="succeeded"}"#) == 2)
        #expect(value(#"kiln_remediation_runs_total{outcome="refused_host_key"}"#) == 1)
        #expect(value(#"kiln_remediation_runs_total{outcome="breaker_opened"}"#) == nil)
        #expect(value(#"kiln_remediation_queue{state="awaiting_approval"}"#) == 2)
        #expect(value(#"kiln_remediation_queue{state="running"}"#) == 0)
        #expect(value("kiln_remediation_breaker_open") == 1)
        #expect(text.contains("# HELP kiln_remediation_breaker_open 1 while the max_per_hour breaker"))
        let checked = try await promtoolCheckMetrics(text)
        #expect(checked.status == 0, "promtool: \(checked.stdout)\(checked.stderr)\n\(text)")
    }
}
