import KilnCore
import KilnGateway

#if canImport(Glibc)
    import Glibc
#endif

/// What `kiln run` did, for the operator and for benchmarks.
struct RunSummary {
    let gateway: Gateway
    let elapsed: Duration

    /// `kiln run: N devices, R requests, F failed, O overruns, D samples dropped in T; poller threads: …`
    var text: String {
        let poller = gateway.poller
        let stats = poller.statistics
        let requests = stats.reduce(0) { $0 + $1.requests }
        let failures = stats.reduce(0) { $0 + $1.failures }
        let overruns = stats.reduce(0) { $0 + $1.overruns }
        let priority = Set(poller.achievedPriorities.map(\.description)).sorted().joined(separator: ", ")
        return "kiln run: \(stats.count) devices, \(requests) requests, \(failures) failed, \(overruns) overruns, "
            + "\(poller.queue.dropped) samples dropped in \(DurationText.format(.milliseconds(Int64(elapsed.seconds * 1000)))); "
            + "poller threads: \(priority.isEmpty ? "none" : priority)"
    }

    /// `pipeline: 1200 samples polled, 1203 delivered (3 stale); sinks: historian 1203 (0 dropped), …`
    var pipelineText: String {
        let p = gateway.pipeline
        let sinks = p.sinkStatistics.map { "\($0.name) \($0.consumed) (\($0.dropped) dropped)" }
        return "pipeline: \(p.samplesIn) samples polled, \(p.samplesOut) delivered (\(p.staleSamples) stale); "
            + "sinks: " + sinks.joined(separator: ", ")
    }

    /// One line per device that sent frames no request asked for (all discarded, never taken as
    /// values): a device that does is misconfigured, confused or hostile.
    var discardLines: [String] {
        zip(gateway.poller.pollers, gateway.poller.statistics).compactMap { poller, stats in
            let d = stats.discards
            guard d.frames > 0 || d.bytes > 0 else { return nil }
            return "kiln run: device \(poller.device.name) (\(poller.device.host):\(poller.device.port)) sent "
                + "\(d.frames) frames that answered no request (\(d.unasked) unasked, \(d.mismatched) not matching the "
                + "request in flight; \(d.bytes) bytes), all discarded"
        }
    }
}
