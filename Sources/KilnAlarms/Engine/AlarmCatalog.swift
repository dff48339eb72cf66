import KilnCore

/// The alarms a gateway config defines: the process alarms of each tag, one built-in `sensor`
/// alarm per conditioned tag, one built-in `comm` alarm per device.
///
/// A tag is "conditioned" here when conditioning can call its sensor Bad (it has `range`,
/// `sentinels`, `thermal` or `stuck`) or when it has process alarms (which a Bad sensor
/// suppresses); other tags have no sensor alarm.
public struct AlarmCatalog: Sendable {
    /// Every alarm, in config order: per device its comm alarm, then per tag its sensor alarm
    /// and its process alarms.
    public var records: [AlarmRecord]
    /// For each record: its definition (process alarms), nil for built-ins.
    public var definitions: [AlarmDefinition?]
    /// For each record: its TagIndex slot (nil for comm alarms) and device index.
    public var slots: [Int?]
    public var devices: [Int]
    /// Per slot: the record of its sensor alarm, and of its process alarms.
    public var sensorAlarm: [Int?]
    public var processAlarms: [[Int]]
    /// Per slot: the thermal time constant in seconds (thermal tags).
    public var tau: [Double?]
    /// Per device: its comm alarm's record.
    public var commAlarm: [Int]

    public init(config: GatewayConfig) {
        let index = TagIndex(config)
        records = []
        definitions = []
        slots = []
        devices = []
        sensorAlarm = Array(repeating: nil, count: index.count)
        processAlarms = Array(repeating: [], count: index.count)
        tau = Array(repeating: nil, count: index.count)
        commAlarm = []
        let settings = config.alarms
        for (d, device) in config.devices.enumerated() {
            commAlarm.append(records.count)
            append(
                AlarmRecord(
                    path: "\(device.name)/comm", name: "comm", kind: .comm, device: device.name, tag: nil,
                    severity: settings.commSeverity), definition: nil, slot: nil, device: d)
            for (t, tag) in device.tags.enumerated() {
                guard let slot = index.slot(device: d, tag: t) else { continue }
                let c = tag.conditioning
                tau[slot] = c.thermal.map { Double($0.tau.wholeMicroseconds) / 1e6 }
                let conditioned = c.range != nil || !c.sentinels.isEmpty || c.thermal != nil || c.stuck != nil
                if conditioned || !tag.alarms.isEmpty {
                    sensorAlarm[slot] = records.count
                    append(
                        AlarmRecord(
                            path: "\(device.name)/\(tag.name)/sensor", name: "sensor", kind: .sensor,
                            device: device.name, tag: tag.name, severity: settings.sensorSeverity),
                        definition: nil, slot: slot, device: d)
                }
                for definition in tag.alarms {
                    processAlarms[slot].append(records.count)
                    append(
                        AlarmRecord(
                            path: "\(device.name)/\(tag.name)/\(definition.name)", name: definition.name,
                            kind: .process, device: device.name, tag: tag.name, severity: definition.severity,
                            limit: definition.limit.value, limitText: Self.text(definition, unit: tag.unit),
                            latch: definition.latch, onDelay: definition.onDelay.wholeMicroseconds,
                            offDelay: definition.offDelay.wholeMicroseconds, outOfService: definition.outOfService),
                        definition: definition, slot: slot, device: d)
                }
            }
        }
    }

    private mutating func append(_ record: AlarmRecord, definition: AlarmDefinition?, slot: Int?, device: Int) {
        records.append(record)
        definitions.append(definition)
        slots.append(slot)
        devices.append(device)
    }

    /// `above 85 degC`, `rate above 0.2/s`, `above 85 (predicted within 5m)`.
    static func text(_ d: AlarmDefinition, unit: String?) -> String {
        let u = unit.map { " " + $0 } ?? ""
        var text =
            switch d.limit {
            case .above(let v): "above \(Value.format(v))\(u)"
            case .below(let v): "below \(Value.format(v))\(u)"
            case .rateAbove(let v): "rate above \(Value.format(v))\(u)/s"
            case .rateBelow(let v): "rate below \(Value.format(v))\(u)/s"
            }
        if let h = d.predict { text += " (predicted within \(DurationText.format(h)))" }
        return text
    }
}

/// The condition of a process alarm on one conditioned sample (pure).
enum ProcessCondition {
    /// The quantity the limit is compared with, or nil when this sample decides nothing.
    ///
    /// - `above`/`below`: the conditioned value; with `predict: H` on a thermal tag, the more
    ///   extreme of the value and the first-order trajectory's point at H,
    ///   `projected + (value - projected)·e^(-H/τ)` (monotone, so it crosses the limit within H
    ///   exactly when that point is past it).
    /// - `rate_above`/`rate_below`: on thermal tags the model's slope `(projected - value) / τ`;
    ///   else the finite difference over the previous conditioned sample of the tag.
    static func quantity(
        _ d: AlarmDefinition, value: Double, projected: Double?, tau: Double?, previous: (value: Double, time: Int64)?,
        time: Int64
    ) -> Double? {
        switch d.limit {
        case .above, .below:
            guard let h = d.predict, let tau, tau > 0, let projected else { return value }
            let seconds = Double(h.wholeMicroseconds) / 1e6
            let ahead = projected + (value - projected) * _exp(-seconds / tau)
            if case .above = d.limit { return max(value, ahead) }
            return min(value, ahead)
        case .rateAbove, .rateBelow:
            if let tau, tau > 0, let projected { return (projected - value) / tau }
            guard let previous, time > previous.time else { return nil }
            return (value - previous.value) / (Double(time - previous.time) / 1e6)
        }
    }

    /// The condition after the deadband: it turns on past the limit and off only `deadband`
    /// back inside it.
    static func holds(_ d: AlarmDefinition, quantity q: Double, wasOn: Bool) -> Bool {
        let db = wasOn ? max(0, d.deadband) : 0
        switch d.limit {
        case .above(let l), .rateAbove(let l): return wasOn ? q >= l - db : q > l
        case .below(let l), .rateBelow(let l): return wasOn ? q <= l + db : q < l
        }
    }
}

#if canImport(Glibc)
    import Glibc
    @inline(__always) func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#else
    import Foundation
    @inline(__always) func _exp(_ x: Double) -> Double { Foundation.exp(x) }
#endif
