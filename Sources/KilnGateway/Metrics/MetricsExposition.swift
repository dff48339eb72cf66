import KilnMetrics
import Metrics
import Prometheus

#if canImport(Glibc)
    import Glibc
#endif

/// The Prometheus side of Kiln's metrics: one registry, bootstrapped into swift-metrics before
/// anything creates a handle, and written out as exposition text.
public struct MetricsExposition: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// A registry of its own, not bootstrapped (tests hand its factory to the gateway).
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// The factory that records into this registry, with every metric's help text (Kiln's and
    /// the gateway's) and buckets.
    public var factory: any MetricsFactory { KilnPrometheusMetricsFactory(registry: registry, help: Self.help) }

    /// Makes this registry the process's metrics backend. Once per process, before the poller
    /// and the gateway are built (they create their handles when built).
    public static func bootstrap() -> MetricsExposition {
        let exposition = MetricsExposition()
        MetricsSystem.bootstrap(exposition.factory)
        return exposition
    }

    /// The exposition text (Prometheus text format 0.0.4).
    public var text: String { registry.emitToString() }

    /// What each of the gateway's metric families means (the poller's and the historian's are in
    /// KilnMetrics' table); the factory gives each family its `# HELP` line from it.
    public static let help: [String: String] = [
        "kiln_pipeline_samples_in_total": "Samples the pipeline took from the poller's queue.",
        "kiln_pipeline_samples_out_total":
            "Conditioned samples handed to the sinks: those polled and the stale ones the clock found.",
        "kiln_pipeline_input_dropped": "Samples the poller's queue refused because conditioning fell behind.",
        "kiln_sink_queue_depth": "Samples waiting for a sink, in its queue and its own backlog.",
        "kiln_sink_dropped_total": "Samples a sink's full queue refused.",
        "kiln_sink_samples_total": "Samples a sink consumed.",
        "kiln_conditioning_faults_total": "Conditioned samples with a fault, by fault class.",
        "kiln_conditioned_samples_total": "Conditioned samples by quality of their OPC UA status.",
        "kiln_config_reload_failures_total":
            "Configuration reloads (SIGHUP) refused: the new configuration was invalid or needed a restart.",
        "kiln_config_last_reload_success":
            "1 when the last configuration reload (or the start) applied its configuration, 0 when it was refused.",
    ]

    /// Writes the exposition text to `path` atomically: into a temporary file beside it, synced,
    /// then renamed over it, so a reader never sees half a file.
    public func write(to path: String) throws(GatewayError) {
        let bytes = Array(text.utf8)
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw GatewayError("cannot write metrics to \(temporary): \(String(cString: strerror(errno)))")
        }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let message = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw GatewayError("cannot write metrics to \(temporary): \(message)")
            }
            written += n
        }
        let synced = fsync(fd) == 0
        let syncError = errno
        close(fd)
        guard synced, rename(temporary, path) == 0 else {
            let message = String(cString: strerror(synced ? errno : syncError))
            unlink(temporary)
            throw GatewayError("cannot write metrics to \(path): \(message)")
        }
    }
}
