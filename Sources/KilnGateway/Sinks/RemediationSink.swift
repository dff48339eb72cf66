import KilnCore
import KilnRemediation

/// Hands remediation the Good conditioned samples of its rules' verify tags, and only while a
/// run is being verified: inline, a flag read per batch, and for a watched tag a short append
/// to the service's inbox. It never blocks conditioning.
public final class RemediationSink: Sink {
    public let name = "remediation"
    public var delivery: SinkDelivery { .inline }
    public let service: RemediationService
    /// `device/tag` by device and tag index, for the verify tags only.
    private let watched: [[String?]]

    public init(service: RemediationService, config: GatewayConfig) {
        self.service = service
        let tags = service.verifyTags
        watched = config.devices.map { d in
            d.tags.map { t in
                let key = "\(d.name)/\(t.name)"
                return tags.contains(key) ? key : nil
            }
        }
    }

    public func consume(_ batch: [Sample]) -> Bool {
        guard service.isVerifying else { return true }
        var out: [VerifySample] = []
        for s in batch where s.status.isGood && s.device < watched.count && s.tag < watched[s.device].count {
            guard let key = watched[s.device][s.tag] else { continue }
            out.append(VerifySample(tag: key, value: s.value?.number, good: true, timestamp: s.timestamp))
        }
        service.submit(out)
        return true
    }
}
