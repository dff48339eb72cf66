import CoreMetrics

/// The historian writer's metrics, made once when the writer is built and recorded beside its
/// ``HistorianStatistics`` counters (by the writer thread, and by `submit` for a full queue).
///
/// | metric | labels | what |
/// |---|---|---|
/// | `kiln_historian_rows_total` | | rows committed (samples, filter points, gap markers) |
/// | `kiln_historian_commits_total` | | transactions committed |
/// | `kiln_historian_commit_seconds` | | how long each committed transaction took, begin to commit |
/// | `kiln_historian_dropped_total` | reason | samples lost: queue_full (the writer fell behind), storage (disk full, I/O error) |
/// | `kiln_historian_gaps_total` | | gaps recorded after writing failed and worked again |
public struct HistorianMetrics: Sendable {
    public static let rowsName = "kiln_historian_rows_total"
    public static let commitsName = "kiln_historian_commits_total"
    public static let commitSecondsName = "kiln_historian_commit_seconds"
    public static let droppedName = "kiln_historian_dropped_total"
    public static let gapsName = "kiln_historian_gaps_total"

    /// Help text by metric name (the Prometheus `# HELP` text).
    public static let help: [String: String] = [
        rowsName: "Rows committed to the historian file (samples, filter points and gap markers).",
        commitsName: "Historian transactions committed.",
        commitSecondsName: "Time each committed historian transaction took, from begin to commit.",
        droppedName:
            "Samples the historian lost, by reason: queue_full (the writer fell behind), storage (disk full, I/O error).",
        gapsName: "Gaps the historian recorded after writing failed and worked again.",
    ]

    let rows: Counter
    let commits: Counter
    let commitSeconds: Timer
    let droppedQueueFull: Counter
    let droppedStorage: Counter
    let gaps: Counter

    /// - Parameter factory: where the metrics go; nil for swift-metrics' global `MetricsSystem.factory`.
    public init(factory: (any MetricsFactory)? = nil) {
        let factory = factory ?? MetricsSystem.factory
        rows = Counter(label: HistorianMetrics.rowsName, factory: factory)
        commits = Counter(label: HistorianMetrics.commitsName, factory: factory)
        commitSeconds = Timer(label: HistorianMetrics.commitSecondsName, factory: factory)
        droppedQueueFull = Counter(
            label: HistorianMetrics.droppedName, dimensions: [("reason", "queue_full")], factory: factory)
        droppedStorage = Counter(
            label: HistorianMetrics.droppedName, dimensions: [("reason", "storage")], factory: factory)
        gaps = Counter(label: HistorianMetrics.gapsName, factory: factory)
    }
}
