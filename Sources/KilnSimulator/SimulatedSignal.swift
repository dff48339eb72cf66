import Foundation
import KilnCore

/// The engineering value one tag of the simulated plant serves over time.
///
/// A numeric tag with `simulate:` follows its ``ThermalModel`` plus Gaussian noise (added to the
/// served value, never to the model's state); a bool toggles every `period`; a string serves its
/// `text`. A tag without `simulate:` serves a constant derived from its name, so different tags
/// read differently and a wrong byte order shows. The value faults then apply, tag-level and
/// device-level alike: `drift` adds `rate` per second since the fault's occurrence began,
/// `spike` adds `size` while active (for one sample per occurrence when it has no duration, and
/// for at least one sample however short its duration),
/// and `stuck` holds the value served when it became active.
public struct SimulatedSignal: Sendable {
    public let tag: TagConfig
    private var model: ThermalModel?
    private let valueFaults: [SimulatedFault]
    private var stuckValue: Value?
    private var lastNanoseconds: Int64 = -1

    /// - Parameters:
    ///   - tag: the tag, with its `simulation` (if any) and tag-level faults.
    ///   - deviceFaults: the device's faults; the value faults among them apply to this tag too.
    public init(tag: TagConfig, deviceFaults: [SimulatedFault] = []) {
        self.tag = tag
        let faults = (tag.simulation?.faults ?? []) + deviceFaults
        self.valueFaults = faults.filter { [.stuck, .spike, .drift].contains($0.kind) }
        if let simulation = tag.simulation, tag.type.isNumeric, !tag.register.isBit {
            model = ThermalModel(simulation: simulation)
        }
    }

    /// True when the tag serves the same value for ever, so its registers are written once.
    public var isConstant: Bool {
        guard valueFaults.isEmpty else { return false }
        guard let simulation = tag.simulation else { return true }
        switch tag.type {
        case .string: return true
        case .bool: return simulation.period == nil
        default: return simulation.target == nil && simulation.noise == 0
        }
    }

    /// The value served `elapsed` nanoseconds after the simulator started.
    ///
    /// Call it with increasing times: the model and the fault latches keep state between calls.
    public mutating func value(
        atNanoseconds elapsed: Int64, using generator: inout some RandomNumberGenerator
    ) -> Value {
        var value = baseValue(atNanoseconds: elapsed, using: &generator)
        if case .double(var number) = value {
            for fault in valueFaults {
                switch fault.kind {
                case .drift:
                    if let since = fault.occurrenceElapsed(atNanoseconds: elapsed) {
                        number += fault.rate * Double(since) / 1e9
                    }
                case .spike:
                    // Without a duration a spike lasts one sample per occurrence.
                    if (fault.duration != nil && fault.isActive(atNanoseconds: elapsed))
                        || fault.occurrenceStarted(afterNanoseconds: lastNanoseconds, atOrBefore: elapsed)
                    {
                        number += fault.size
                    }
                default: break
                }
            }
            value = .double(number)
        }
        lastNanoseconds = elapsed
        if valueFaults.contains(where: { $0.kind == .stuck && $0.isActive(atNanoseconds: elapsed) }) {
            if stuckValue == nil { stuckValue = value }
            return stuckValue!
        }
        stuckValue = nil
        return value
    }

    private mutating func baseValue(
        atNanoseconds elapsed: Int64, using generator: inout some RandomNumberGenerator
    ) -> Value {
        guard let simulation = tag.simulation else { return Self.constant(for: tag) }
        if tag.type == .string { return .string(simulation.text ?? tag.name) }
        if tag.type == .bool || tag.register.isBit {
            let initial = simulation.value != 0
            guard let period = simulation.period?.nanoseconds, period > 0 else { return .bool(initial) }
            return .bool((max(0, elapsed) / period) % 2 == 0 ? initial : !initial)
        }
        guard var model else { return .double(simulation.value) }
        model.advance(toNanoseconds: elapsed)
        self.model = model
        var number = model.state
        if simulation.noise > 0 { number += simulation.noise * Self.gaussian(using: &generator) }
        return .double(number)
    }

    /// What a tag without `simulate:` serves: false, its name for a string, else a number in
    /// 0…99.9 derived from its name.
    public static func constant(for tag: TagConfig) -> Value {
        if tag.type == .bool || tag.register.isBit { return .bool(false) }
        if tag.type == .string { return .string(tag.name) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in tag.name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return .double(Double(hash % 1000) / 10)
    }

    /// One standard normal deviate (Box–Muller).
    static func gaussian(using generator: inout some RandomNumberGenerator) -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator)
        let u2 = Double.random(in: 0..<1, using: &generator)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

extension SimulatedFault {
    /// Nanoseconds since the current occurrence began, or nil while the fault is not in force.
    func occurrenceElapsed(atNanoseconds elapsed: Int64) -> Int64? {
        let start = at.nanoseconds
        guard elapsed >= start else { return nil }
        var since = elapsed - start
        if let every = every?.nanoseconds, every > 0 { since %= every }
        if let duration = duration?.nanoseconds, since >= duration { return nil }
        return since
    }

    /// `isActive(at:)` in whole nanoseconds, cheap enough to ask on every request.
    func isActive(atNanoseconds elapsed: Int64) -> Bool { occurrenceElapsed(atNanoseconds: elapsed) != nil }

    /// Whether an occurrence began in `(earlier, later]`, so a fault shorter than the model's
    /// step still shows for one sample.
    func occurrenceStarted(afterNanoseconds earlier: Int64, atOrBefore later: Int64) -> Bool {
        let start = at.nanoseconds
        guard later >= start else { return false }
        var latest = start
        if let every = every?.nanoseconds, every > 0 { latest = start + (later - start) / every * every }
        return latest > earlier
    }
}
