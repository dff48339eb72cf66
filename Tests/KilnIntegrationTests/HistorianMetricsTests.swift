import Foundation
import KilnCore
import KilnHistorian
import KilnMetrics
import Prometheus
import Testing

/// The historian's metrics, emitted as Prometheus text from a private registry after a real
/// SQLite run, agree with the writer's own statistics and pass `promtool check metrics`.
struct HistorianMetricsTests {
    static let tags = [
        [
            TagDescriptor(device: "boiler-1", tag: "supply_temp", unit: "degC", type: "float32"),
            TagDescriptor(device: "boiler-1", tag: "run_hours", unit: "h", type: "uint32"),
        ]
    ]

    @Test func historianMetricsMatchTheWriterStatisticsAfterARealSQLiteRun() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let registry = PrometheusCollectorRegistry()
        let factory = KilnPrometheusMetricsFactory(registry: registry)
        var options = HistorianWriter.Options(flush: .milliseconds(20), maxBatchRows: 700, queueCapacity: 4_000)
        options.maintenanceInterval = .seconds(3600)
        let writer = HistorianWriter(
            store: try SQLiteStore(path: directory.path + "/h.db"), tags: Self.tags, options: options,
            logger: TestLogging.silent, metrics: factory)
        // Before the writer starts nothing drains its queue: what does not fit is refused and counted.
        let start: Int64 = 1_767_225_600_000_000
        func batch(_ k: Int) -> [Sample] {
            (0..<1_000).map {
                let time = start + Int64(k * 1_000 + $0) * 1_000
                return Sample(
                    device: 0, tag: $0 % 2, value: .double(Double($0)), raw: nil, status: .good, timestamp: time)
            }
        }
        for k in 0..<6 { writer.submit(batch(k)) }
        try writer.start()
        for k in 6..<20 { writer.submitWaiting(batch(k)) }
        writer.stop()
        let stats = writer.statistics
        #expect(stats.droppedQueueFull == 2_000, "4 of 6 batches fit the queue")
        #expect(stats.rowsWritten == 18_000)
        #expect(stats.commits >= 18_000 / 700)

        let metrics = try PrometheusText(registry.emitToString())
        #expect(metrics.sum("kiln_historian_rows_total") == stats.rowsWritten)
        #expect(metrics.sum("kiln_historian_commits_total") == stats.commits)
        #expect(metrics.sum("kiln_historian_commit_seconds_count") == stats.commits)
        #expect(metrics.sum("kiln_historian_commit_seconds_bucket", ["le": "+Inf"]) == stats.commits)
        #expect(metrics.sum("kiln_historian_dropped_total", ["reason": "queue_full"]) == stats.droppedQueueFull)
        #expect(metrics.sum("kiln_historian_dropped_total", ["reason": "storage"]) == stats.lostStorage)
        #expect(metrics.has("kiln_historian_dropped_total", ["reason": "storage"]), "present before any loss")
        #expect(metrics.sum("kiln_historian_gaps_total") == stats.gaps)
        // The file holds what the metrics say was committed.
        let stored = try runSQLite(directory.path + "/h.db", "SELECT count(*) FROM samples")
        #expect(stored == "\(stats.rowsWritten)")

        let check = try metrics.promtoolCheck()
        #expect(check.status == 0, "promtool check metrics: \(check.output)\n\(metrics.text)")
    }

    /// The sqlite3 command line's answer to one query, trimmed. A missing sqlite3 fails loudly.
    func runSQLite(_ path: String, _ query: String) throws -> String {
        let child = try ChildProcess(["sqlite3", path, query])
        let status = child.wait(timeout: .seconds(20))
        child.waitForOutput()
        try #require(status == .exited(0), "sqlite3: \(child.stderr.text)")
        return child.stdout.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
