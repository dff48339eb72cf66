import KilnCore
import Metrics

/// Counts what conditioning concluded, by fault class and by quality, into metrics:
/// `kiln_conditioning_faults_total{class="spike"}`, `kiln_conditioned_samples_total{quality="good"}`.
/// Inline: a batch costs a pass over its samples and a few atomic adds.
public final class ConditioningMetricsSink: Sink {
    public let name = "metrics"
    public var delivery: SinkDelivery { .inline }
    /// comm, range, spike, rate, stuck, stale.
    private let faults: [Counter]
    /// Good, uncertain, bad.
    private let qualities: [Counter]

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        faults = [Fault.comm, .range, .spike, .rate, .stuck, .stale].map {
            Counter(label: "kiln_conditioning_faults_total", dimensions: [("class", $0.rawValue)], factory: factory)
        }
        qualities = ["good", "uncertain", "bad"].map {
            Counter(label: "kiln_conditioned_samples_total", dimensions: [("quality", $0)], factory: factory)
        }
    }

    public func consume(_ batch: [Sample]) -> Bool {
        var byFault = (0, 0, 0, 0, 0, 0)
        var good = 0
        var uncertain = 0
        var bad = 0
        for s in batch {
            switch s.fault {
            case .none: break
            case .comm: byFault.0 += 1
            case .range: byFault.1 += 1
            case .spike: byFault.2 += 1
            case .rate: byFault.3 += 1
            case .stuck: byFault.4 += 1
            case .stale: byFault.5 += 1
            }
            if s.status.isBad {
                bad += 1
            } else if s.status.isGood {
                good += 1
            } else {
                uncertain += 1
            }
        }
        // No array of counts: a tuple and six tests keep the hot path free of allocation.
        if byFault.0 > 0 { faults[0].increment(by: byFault.0) }
        if byFault.1 > 0 { faults[1].increment(by: byFault.1) }
        if byFault.2 > 0 { faults[2].increment(by: byFault.2) }
        if byFault.3 > 0 { faults[3].increment(by: byFault.3) }
        if byFault.4 > 0 { faults[4].increment(by: byFault.4) }
        if byFault.5 > 0 { faults[5].increment(by: byFault.5) }
        if good > 0 { qualities[0].increment(by: good) }
        if uncertain > 0 { qualities[1].increment(by: uncertain) }
        if bad > 0 { qualities[2].increment(by: bad) }
        return true
    }
}
