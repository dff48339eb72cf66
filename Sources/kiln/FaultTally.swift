import KilnCore
import KilnGateway
import Synchronization

/// The fault tally as a sink of the gateway: inline (a pass over the batch, a hash per
/// faulted sample).
final class FaultTallySink: Sink {
    let name = "faults"
    var delivery: SinkDelivery { .inline }
    private let tally = Mutex(FaultTally())

    func consume(_ batch: [Sample]) -> Bool {
        tally.withLock { $0.count(batch) }
        return true
    }

    func text(_ config: GatewayConfig) -> String { tally.withLock { $0.text(config) } }
}

/// The faults the conditioning caught during `kiln run`, by class, for the closing
/// `faults caught:` line: a rejected spike shows there even when the live table had moved on by
/// its next refresh.
struct FaultTally {
    private struct TagFault: Hashable {
        var device: Int
        var tag: Int
        var fault: Fault
    }

    /// Samples per fault class.
    private var samples: [Fault: Int] = [:]
    /// The tags that had each fault, in the order they first had it.
    private var tags: [Fault: [TagFault]] = [:]
    private var seen = Set<TagFault>()

    mutating func count(_ batch: [Sample]) {
        for s in batch where s.fault != .none {
            samples[s.fault, default: 0] += 1
            let key = TagFault(device: s.device, tag: s.tag, fault: s.fault)
            if seen.insert(key).inserted { tags[s.fault, default: []].append(key) }
        }
    }

    /// `faults caught (samples): range 12 on boiler-1/return_temp; spike 2 on boiler-1/flue_gas_temp`,
    /// or `faults caught: none`: classes in the order of ``Fault``, at most three tags named each.
    func text(_ config: GatewayConfig) -> String {
        var parts: [String] = []
        for fault in Fault.allCases {
            guard let n = samples[fault], let keys = tags[fault] else { continue }
            let names = keys.prefix(3).map { key in
                let device = config.devices[key.device]
                return "\(device.name)/\(device.tags[key.tag].name)"
            }
            let list =
                keys.count > 3
                ? "\(keys.count) tags: " + names.joined(separator: ", ") + ", …" : names.joined(separator: ", ")
            parts.append("\(fault.rawValue) \(n) on \(list)")
        }
        return parts.isEmpty ? "faults caught: none" : "faults caught (samples): " + parts.joined(separator: "; ")
    }
}
