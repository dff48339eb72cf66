import KilnCore
import KilnGateway
import Synchronization

/// The fault tally as a sink of the gateway: inline (a pass over the batch, a hash per
/// faulted sample).
final class FaultTallySink: Sink {
    let name = "faults"
    var delivery: SinkDelivery { .inline }
    /// The tally, and the configuration whose indices the samples carry (a reload changes it).
    private let state: Mutex<(tally: FaultTally, config: GatewayConfig)>

    init(config: GatewayConfig) { state = Mutex((FaultTally(), config)) }

    func consume(_ batch: [Sample]) -> Bool {
        state.withLock { $0.tally.count(batch, config: $0.config) }
        return true
    }

    func reload(_ change: ConfigChange) { state.withLock { $0.config = change.new } }

    func text() -> String { state.withLock { $0.tally.text() } }
}

/// The faults the conditioning caught during `kiln run`, by class, for the closing
/// `faults caught:` line: a rejected spike shows there even when the live table had moved on by
/// its next refresh.
struct FaultTally {
    /// By name, not index: a reload may move a tag, and the closing line names every tag of the run.
    private struct TagFault: Hashable {
        var path: String
        var fault: Fault
    }

    /// Samples per fault class.
    private var samples: [Fault: Int] = [:]
    /// The tags that had each fault, in the order they first had it.
    private var tags: [Fault: [TagFault]] = [:]
    private var seen = Set<TagFault>()

    mutating func count(_ batch: [Sample], config: GatewayConfig) {
        for s in batch where s.fault != .none {
            guard s.device < config.devices.count, s.tag < config.devices[s.device].tags.count else { continue }
            samples[s.fault, default: 0] += 1
            let device = config.devices[s.device]
            let key = TagFault(path: "\(device.name)/\(device.tags[s.tag].name)", fault: s.fault)
            if seen.insert(key).inserted { tags[s.fault, default: []].append(key) }
        }
    }

    /// `faults caught (samples): range 12 on boiler-1/return_temp; spike 2 on boiler-1/flue_gas_temp`,
    /// or `faults caught: none`: classes in the order of ``Fault``, at most three tags named each.
    func text() -> String {
        var parts: [String] = []
        for fault in Fault.allCases {
            guard let n = samples[fault], let keys = tags[fault] else { continue }
            let names = keys.prefix(3).map(\.path)
            let list =
                keys.count > 3
                ? "\(keys.count) tags: " + names.joined(separator: ", ") + ", …" : names.joined(separator: ", ")
            parts.append("\(fault.rawValue) \(n) on \(list)")
        }
        return parts.isEmpty ? "faults caught: none" : "faults caught (samples): " + parts.joined(separator: "; ")
    }
}
