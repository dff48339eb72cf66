import KilnCore
import Yams

extension ConfigReader {
    /// A tag's `simulate:` block. Which keys apply depends on the tag's type: strings serve fixed
    /// text, bools toggle every `period`, numbers follow a first-order response.
    mutating func tagSimulation(_ node: Node, type: DataType, scale: Double, offset: Double) -> TagSimulation? {
        guard let fields = fields(node, .tagSimulation) else { return nil }
        var simulation = TagSimulation()
        // Strings serve fixed text; bools only toggle every `period`.
        let numericKeys = ["target", "tau", "noise"] + (type == .string ? ["period"] : [])
        for key in numericKeys where !type.isNumeric {
            if let keyNode = fields.keyNode(key) {
                error("'\(key)' does not apply to a simulated \(type) tag", at: keyNode)
            }
        }
        if let value = fields["value"] {
            switch type {
            case .string: simulation.text = text(value, "value")
            case .bool: simulation.value = bool(value, "value").map { $0 ? 1 : 0 } ?? 0
            default:
                if let number = number(value, "value", in: NumberLimits.engineering) {
                    simulation.value = number
                    checkRepresentable(number, key: "value", at: value, type: type, scale: scale, offset: offset)
                }
            }
        }
        if type.isNumeric {
            if let node = fields["target"], let target = number(node, "target", in: NumberLimits.engineering) {
                simulation.target = target
                checkRepresentable(target, key: "target", at: node, type: type, scale: scale, offset: offset)
            }
            simulation.tau = duration(fields, "tau", in: DurationLimits.signal) ?? simulation.tau
            if let node = fields["noise"], let noise = number(node, "noise", in: NumberLimits.engineering) {
                if noise < 0 { error("'noise' must not be negative, found \(Value.format(noise))", at: node) }
                simulation.noise = noise
            }
        }
        if type != .string { simulation.period = duration(fields, "period", in: DurationLimits.signal) }
        if let list = list(fields, "faults") {
            simulation.faults = list.compactMap { fault($0, allowed: SimulatedFault.Kind.allCases) }
        }
        return simulation
    }

    /// A device's `simulate:` block: faults that hit the whole device.
    mutating func deviceSimulation(_ node: Node) -> DeviceSimulation? {
        guard let fields = fields(node, .deviceSimulation) else { return nil }
        let faults = list(fields, "faults") ?? []
        return DeviceSimulation(faults: faults.compactMap { fault($0, allowed: [.dropout, .exception, .slow]) })
    }

    /// The keys that only one kind of fault takes.
    private static let faultKeys: [(key: String, kind: SimulatedFault.Kind)] = [
        ("size", .spike), ("rate", .drift), ("code", .exception), ("delay", .slow),
    ]

    private mutating func fault(_ node: Node, allowed: [SimulatedFault.Kind]) -> SimulatedFault? {
        guard let fields = fields(node, .fault) else { return nil }
        let errorsBefore = count
        let options = allowed.map { ($0.rawValue, $0) }
        var kind: SimulatedFault.Kind?
        if allowed.count < SimulatedFault.Kind.allCases.count, let node = fields["fault"],
            let text = node.plainText, let other = SimulatedFault.Kind(rawValue: text), !allowed.contains(other)
        {
            error(
                "a device's faults may be \(Self.list(allowed.map(\.rawValue))); "
                    + "'\(text)' acts on one tag, so put it under that tag's simulate:",
                at: node)
        } else {
            kind = choice(fields, "fault", options)
        }
        var fault = SimulatedFault(kind: kind ?? .stuck)
        fault.at = duration(fields, "at", in: DurationLimits.start) ?? .zero
        fault.duration = duration(fields, "for", in: DurationLimits.schedule)
        fault.every = duration(fields, "every", in: DurationLimits.schedule)
        if let lasting = fault.duration, let every = fault.every, lasting >= every, let node = fields["for"] {
            error(
                "'for' (\(DurationText.format(lasting))) must be shorter than 'every' "
                    + "(\(DurationText.format(every))), or the fault never ends",
                at: node)
        }
        if let kind {
            for (key, owner) in Self.faultKeys where owner != kind {
                if let keyNode = fields.keyNode(key) {
                    error("'\(key)' applies only to \(owner) faults, not \(kind)", at: keyNode)
                }
            }
            if kind == .spike, !fields.has("size") {
                error("\(kind) fault is missing required key 'size'", at: node)
            }
            if kind == .drift, !fields.has("rate") {
                error("\(kind) fault is missing required key 'rate'", at: node)
            }
        }
        fault.size = number(fields, "size", in: NumberLimits.engineering) ?? fault.size
        fault.rate = number(fields, "rate", in: NumberLimits.engineering) ?? fault.rate
        fault.code = integer(fields, "code", in: 1...255) ?? fault.code
        fault.delay = duration(fields, "delay", in: DurationLimits.delay) ?? fault.delay
        return count == errorsBefore ? fault : nil
    }

    /// A simulated engineering value must map to a raw integer the tag's type can hold, or the
    /// simulator would serve a clamped value no one asked for.
    private mutating func checkRepresentable(
        _ value: Double, key: String, at node: Node, type: DataType, scale: Double, offset: Double
    ) {
        guard scale != 0, let raw = type.rawRange else { return }
        // Rounded to nine decimals, so 32767 * 0.1 reads 3276.7 rather than 3276.7000000000003.
        let ends = [raw.lowerBound * scale + offset, raw.upperBound * scale + offset].map { ($0 * 1e9).rounded() / 1e9 }
        let low = ends.min()!
        let high = ends.max()!
        guard value < low || value > high else { return }
        var with = ""
        if scale != 1 { with += " scale \(Value.format(scale))" }
        if offset != 0 { with += (with.isEmpty ? "" : " and") + " offset \(Value.format(offset))" }
        error(
            "simulated \(key) \(Value.format(value)) does not fit \(type)"
                + (with.isEmpty ? "" : " with\(with)") + " (\(Value.format(low)) to \(Value.format(high)))",
            at: node)
    }
}

extension DataType {
    /// The raw values an integer type holds.
    var rawRange: ClosedRange<Double>? {
        switch self {
        case .int16: Double(Int16.min)...Double(Int16.max)
        case .uint16: 0...Double(UInt16.max)
        case .int32: Double(Int32.min)...Double(Int32.max)
        case .uint32: 0...Double(UInt32.max)
        case .int64: Double(Int64.min)...Double(Int64.max)
        case .uint64: 0...Double(UInt64.max)
        default: nil
        }
    }
}
