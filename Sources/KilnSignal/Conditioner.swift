import KilnCore

/// The conditioning stage for a whole gateway: one ``TagConditioner`` per tag, in one flat
/// array indexed by device and tag, so a batch is conditioned without lookups or allocation.
public struct Conditioner: Sendable {
    /// Device and tag to slot in `tags` (shared with the rest of the gateway).
    public let index: TagIndex
    private var tags: [TagConditioner]
    /// Whether each tag carries numbers (bools and strings pass through untouched), and has a
    /// thermal model; kept apart so the per-sample path reads two bytes, not a conditioner.
    private let numeric: [Bool]
    private let thermal: [Bool]
    /// When each tag was last reported stale by ``staleSamples(at:)``, µs; `Int64.min` for not
    /// since its last poll.
    private var staleReported: [Int64]
    /// The reason texts that depend on a tag's configuration (its range, sentinels, stuck time),
    /// made the first time a tag needs one and shared by every tag that words it alike: no tag
    /// keeps texts, and a tag out of range for hours does not build a String per sample.
    private var reasonTexts: [ReasonTextKey: String] = [:]

    /// - Parameters:
    ///   - index: the gateway's tag index, when the caller has built it already.
    public init(config: GatewayConfig, index: TagIndex? = nil) {
        let index = index ?? TagIndex(config)
        precondition(index.count == config.devices.reduce(0) { $0 + $1.tags.count }, "a tag index of another gateway")
        self.index = index
        // Sized once: growing by doubling would hold two copies of a large gateway's state at once.
        let total = index.count
        var tags: [TagConditioner] = []
        var numeric: [Bool] = []
        var thermal: [Bool] = []
        tags.reserveCapacity(total)
        numeric.reserveCapacity(total)
        thermal.reserveCapacity(total)
        for device in config.devices {
            for tag in device.tags {
                tags.append(TagConditioner(tag: tag))
                numeric.append(tag.type.isNumeric && !tag.register.isBit)
                thermal.append(tag.conditioning.thermal != nil)
            }
        }
        self.tags = tags
        self.numeric = numeric
        self.thermal = thermal
        staleReported = Array(repeating: .min, count: tags.count)
    }

    /// Takes over the state of the tags a reload left unchanged (their filters, noise estimates,
    /// last values and staleness), so their conditioning goes on as if nothing happened.
    /// - Parameter slots: pairs of slots, in `old`'s index and in this one's, of tags whose
    ///   configuration is the same in both.
    public mutating func adopt(from old: Conditioner, slots: [(old: Int, new: Int)]) {
        for (a, b) in slots where a < old.tags.count && b < tags.count {
            tags[b] = old.tags[a]
            staleReported[b] = old.staleReported[a]
        }
    }

    /// Conditions a batch in place: `value` becomes the conditioned value (nil when withheld),
    /// `status`, `fault`, `reason` and `projected` are set; `raw` and `unscaled` stay as read.
    public mutating func condition(_ samples: inout [Sample]) {
        for i in samples.indices { condition(&samples[i]) }
    }

    /// The batch, conditioned.
    public mutating func conditioned(_ samples: [Sample]) -> [Sample] {
        var samples = samples
        condition(&samples)
        return samples
    }

    /// The batches (as the poller's queue hands them over), conditioned.
    public mutating func conditioned(_ batches: [[Sample]]) -> [[Sample]] {
        var batches = batches
        for i in batches.indices { condition(&batches[i]) }
        return batches
    }

    /// ``staleSamples(at:)`` as a list of batches: empty, or one batch.
    public mutating func staleBatches(at now: Int64) -> [[Sample]] {
        let stale = staleSamples(at: now)
        return stale.isEmpty ? [] : [stale]
    }

    /// Conditions one sample in place.
    public mutating func condition(_ sample: inout Sample) {
        guard let index = index.slot(of: sample) else { return }
        staleReported[index] = .min
        if sample.status.isBad {
            tags[index].communicationFailed(at: sample.timestamp)
            if sample.fault == .none { sample.fault = .comm }
            sample.value = nil
            return
        }
        guard numeric[index], let reading = sample.raw?.number else {
            tags[index].communicationFailed(at: sample.timestamp)
            return
        }
        let result = tags[index].condition(reading: reading, unscaled: sample.unscaled?.number, at: sample.timestamp)
        sample.status = result.status
        sample.fault = result.fault
        if result.reason != .none { sample.reason = text(for: result.reason, ofTag: index) }
        sample.projected = result.projected
        if thermal[index] || result.value == nil {
            sample.value = result.value.map(Value.double)
        }
    }

    /// Samples for the tags that have had no poll at all for three poll periods by `now`
    /// (a stalled poller, a dropped batch), at most one per tag per poll period; each carries
    /// the last usable value as UncertainNoCommunicationLastUsableValue.
    ///
    /// - Parameter now: µs since the epoch.
    public mutating func staleSamples(at now: Int64) -> [Sample] {
        var out: [Sample] = []
        for device in 0..<self.index.deviceCount {
            let slots = self.index.slots(ofDevice: device)
            for index in slots {
                let tag = index - slots.lowerBound
                guard tags[index].isOverdue(at: now) else { continue }
                if staleReported[index] != .min, !tags[index].isPeriodOver(since: staleReported[index], at: now) {
                    continue
                }
                staleReported[index] = now
                let r = tags[index].staleReading()
                out.append(
                    Sample(
                        device: device, tag: tag, value: r.value.map(Value.double), raw: nil, status: r.status,
                        reason: text(for: r.reason, ofTag: index), fault: r.fault, projected: r.projected,
                        timestamp: now)
                )
            }
        }
        return out
    }

    /// The words for `reason` of the tag in `slot`: a literal, or the shared text of its key.
    private mutating func text(for reason: ConditioningReason, ofTag slot: Int) -> String? {
        guard let key = tags[slot].textKey(for: reason) else { return tags[slot].text(for: reason) }
        if let text = reasonTexts[key] { return text }
        let text = tags[slot].text(for: reason)
        reasonTexts[key] = text
        return text
    }
}
