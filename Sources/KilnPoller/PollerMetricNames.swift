/// The names of the poller's metrics, and what each means (the Prometheus `# HELP` text).
public enum PollerMetricNames {
    public static let requests = "kiln_poll_requests_total"
    public static let failures = "kiln_poll_failures_total"
    public static let latency = "kiln_poll_latency_seconds"
    public static let overruns = "kiln_poll_cycle_overruns_total"
    public static let discardedFrames = "kiln_poll_discarded_frames_total"
    public static let threads = "kiln_poller_threads"

    /// Help text by metric name.
    public static let help: [String: String] = [
        requests: "Modbus requests sent, by device and register kind.",
        failures:
            "Failed polls by device and what failed: timeout, transport or exception for a request, connection for a connection attempt.",
        latency: "Time from sending a Modbus request to its reply or failure, by device.",
        overruns: "Scan deadlines skipped because the previous read of that scan was still going, by device.",
        discardedFrames: "Frames a device sent that answered no request, discarded, by device and reason.",
        threads: "Poller threads started, by the scheduling policy they achieved (fifo, rr, nice, other).",
    ]
}
