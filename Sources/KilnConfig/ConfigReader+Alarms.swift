import KilnCore
import Yams

/// What an alarm's checks need to know of its tag.
struct AlarmContext {
    var tag: String
    var type: DataType
    var range: ClosedRange<Double>?
    var hasThermal: Bool
}

extension ConfigReader {
    /// Names a tag's alarms may not take: the built-in alarms' own.
    static let reservedAlarmNames: [String: String] = [
        "sensor": "the built-in alarm every conditioned tag has for a Bad sensor",
        "comm": "the built-in alarm every device has for a device that stops answering",
    ]

    /// The limit keys, exactly one of which an alarm has.
    private static let limitKeys = ["above", "below", "rate_above", "rate_below"]

    // MARK: Tag alarms

    /// A tag's `alarms:` list. Returns the alarms that decoded cleanly.
    mutating func alarms(_ fields: MappingFields, context: AlarmContext) -> [AlarmDefinition] {
        guard let nodes = list(fields, "alarms") else { return [] }
        if context.type == .string, let key = fields.keyNode("alarms") {
            error("'alarms' applies only to numeric and bool tags, not string: a text has no limit to cross", at: key)
            return []
        }
        var names = NameRegistry()
        return nodes.compactMap { alarm($0, context: context, names: &names) }
    }

    private mutating func alarm(_ node: Node, context: AlarmContext, names: inout NameRegistry) -> AlarmDefinition? {
        guard let fields = fields(node, .alarm) else { return nil }
        let errorsBefore = count
        let name = validName(fields, "name", .tag, what: "alarm")
        if let name, let nameNode = fields["name"] {
            if let reason = Self.reservedAlarmNames[name] {
                error("alarm name '\(name)' is reserved for \(reason); choose another name", at: nameNode)
            } else if let first = names.claim(name, at: location(of: nameNode)) {
                error(
                    "duplicate alarm name '\(name)' in tag '\(context.tag)'; first at \(first.reference(from: file))",
                    at: nameNode)
            }
        }
        let limit = alarmLimit(fields, context: context)
        let deadband = number(fields, "deadband", in: NumberLimits.engineering) ?? 0
        if deadband < 0, let n = fields["deadband"] {
            error("'deadband' must not be negative: it is how far back inside the limit the alarm clears", at: n)
        }
        let onDelay = duration(fields, "on_delay", in: DurationLimits.alarmDelay) ?? .zero
        let offDelay = duration(fields, "off_delay", in: DurationLimits.alarmDelay) ?? .zero
        let severity = choice(fields, "severity", AlarmSeverity.self) ?? .warning
        let predict = duration(fields, "predict", in: DurationLimits.predict)
        let latch = bool(fields, "latch") ?? false
        let enabled = bool(fields, "enabled") ?? true
        if let limit {
            if deadband > 0, let n = fields["deadband"] {
                checkDeadband(deadband, limit: limit, context: context, at: n)
            }
            checkPredict(fields, limit: limit, context: context)
        }
        guard count == errorsBefore, let name, let limit else { return nil }
        return AlarmDefinition(
            name: name, limit: limit, deadband: deadband, onDelay: onDelay, offDelay: offDelay, severity: severity,
            predict: predict, latch: latch, outOfService: !enabled, location: location(of: node))
    }

    /// Exactly one of above, below, rate_above, rate_below, finite, and for a value limit inside
    /// the tag's range.
    private mutating func alarmLimit(_ fields: MappingFields, context: AlarmContext) -> AlarmLimit? {
        let present = Self.limitKeys.filter { fields.has($0) }
        guard let key = present.first else {
            error(
                "\(fields.subject) needs one limit: above, below, rate_above or rate_below", at: fields.node)
            return nil
        }
        if present.count > 1 {
            for extra in present.dropFirst() {
                if let keyNode = fields.keyNode(extra) {
                    error(
                        "an alarm has one limit, and this one already has '\(key)'; "
                            + "define a second alarm for '\(extra)'",
                        at: keyNode)
                }
            }
            return nil
        }
        guard let node = fields[key], let value = number(node, key, in: NumberLimits.engineering) else { return nil }
        switch key {
        case "above", "below":
            let limit: AlarmLimit = key == "above" ? .above(value) : .below(value)
            if context.type == .bool {
                let never = key == "above" ? value >= 1 : value <= 0
                let always = key == "above" ? value < 0 : value > 1
                if never || always {
                    error(
                        "a bool tag reads 0 or 1, so '\(key): \(Value.format(value))' would "
                            + (never ? "never activate" : "always be active")
                            + "; write 'above: 0' (active while true) or 'below: 1' (active while false)",
                        at: node)
                    return nil
                }
            }
            if let range = context.range { checkInsideRange(limit, range: range, key: key, at: node) }
            return limit
        default:
            if context.type == .bool, let keyNode = fields.keyNode(key) {
                error("'\(key)' applies only to numeric tags: a bool has no slope", at: keyNode)
                return nil
            }
            return key == "rate_above" ? .rateAbove(value) : .rateBelow(value)
        }
    }

    /// A value limit at or beyond the tag's range could never activate (a reading past the range
    /// is not Good, and suppresses the alarm) or would never clear: refused, as an alarm an
    /// engineer believes in but that cannot work is worse than none.
    private mutating func checkInsideRange(_ limit: AlarmLimit, range: ClosedRange<Double>, key: String, at node: Node)
    {
        let low = Value.format(range.lowerBound)
        let high = Value.format(range.upperBound)
        let value = limit.value
        let shown = Value.format(value)
        switch limit {
        case .above where value >= range.upperBound:
            error(
                "'above: \(shown)' can never activate: the tag's range is [\(low), \(high)] and a reading "
                    + "above \(high) is not Good, which suppresses the alarm; put the limit inside the range",
                at: node)
        case .above where value < range.lowerBound, .below where value > range.upperBound:
            error(
                "'\(key): \(shown)' is outside the tag's range [\(low), \(high)], so the alarm would be active "
                    + "on every Good reading; put the limit inside the range",
                at: node)
        case .below where value <= range.lowerBound:
            error(
                "'below: \(shown)' can never activate: the tag's range is [\(low), \(high)] and a reading "
                    + "below \(low) is not Good, which suppresses the alarm; put the limit inside the range",
                at: node)
        default:
            break
        }
    }

    /// A deadband is a small hysteresis around the limit. Refused: one that puts the clear point
    /// across zero (or on it), which flips the alarm's meaning (a high alarm that clears only
    /// when the value turns negative); and, on a tag with a range, one whose clear point lies
    /// at or beyond the far end of the range, where no Good reading can clear the alarm.
    private mutating func checkDeadband(_ deadband: Double, limit: AlarmLimit, context: AlarmContext, at node: Node) {
        let value = limit.value
        let clear: Double
        switch limit {
        case .above(let v), .rateAbove(let v): clear = v - deadband
        case .below(let v), .rateBelow(let v): clear = v + deadband
        }
        let shownBand = Value.format(deadband)
        // Rounded for the message: 0.2 - 0.3 reads -0.1, not -0.09999999999999998.
        let shownClear = Value.format(abs(clear) < 1e6 ? (clear * 1e9).rounded() / 1e9 : clear)
        if value != 0, clear == 0 || (clear < 0) != (value < 0) {
            error(
                "'deadband: \(shownBand)' is at least the limit's own size (\(Value.format(abs(value)))): "
                    + "the alarm would clear only \(clear == 0 ? "at zero" : "at \(shownClear), across zero"); "
                    + "a deadband is a small margin "
                    + "inside the limit, smaller than \(Value.format(abs(value)))",
                at: node)
            return
        }
        guard let range = context.range else { return }
        let span = range.upperBound - range.lowerBound
        switch limit {
        case .above where clear <= range.lowerBound, .below where clear >= range.upperBound:
            error(
                "'deadband: \(shownBand)' puts the clear point at \(shownClear), at or beyond the tag's range "
                    + "[\(Value.format(range.lowerBound)), \(Value.format(range.upperBound))]: no Good reading "
                    + "could clear the alarm; make it smaller than the distance to the range's end",
                at: node)
        case .rateAbove, .rateBelow:
            if deadband >= span {
                error(
                    "'deadband: \(shownBand)' (units per second) is as wide as the tag's whole range "
                        + "(\(Value.format(span))); a rate deadband is a small margin on the slope",
                    at: node)
            }
        default:
            break
        }
    }

    /// `predict` works on the thermal model's settling value: above/below only, with `thermal`.
    private mutating func checkPredict(_ fields: MappingFields, limit: AlarmLimit, context: AlarmContext) {
        guard let key = fields.keyNode("predict") else { return }
        switch limit {
        case .rateAbove, .rateBelow:
            error("'predict' applies only to 'above' and 'below' alarms, not to rate alarms", at: key)
        case .above, .below:
            if !context.hasThermal {
                error(
                    "'predict' needs 'thermal: { tau, max_rate }' on tag '\(context.tag)': the prediction "
                        + "projects the settling value from the tag's thermal inertia",
                    at: key)
            }
        }
    }

    // MARK: Gateway settings

    /// The gateway's `alarms:` section.
    mutating func alarmSettings(_ node: Node) -> AlarmSettings {
        var settings = AlarmSettings()
        guard let fields = fields(node, .alarmSettings) else { return settings }
        if let severity = choice(fields, "sensor_severity", AlarmSeverity.self) { settings.sensorSeverity = severity }
        if let severity = choice(fields, "comm_severity", AlarmSeverity.self) { settings.commSeverity = severity }
        if let node = fields["chatter"], let (count, window) = alarmRate(node, .chatter, counts: 2...1_000) {
            settings.chatterCount = count
            settings.chatterWindow = window
        }
        if let node = fields["flood"], let (count, window) = alarmRate(node, .flood, counts: 1...1_000_000) {
            settings.floodCount = count
            settings.floodWindow = window
        }
        if let shelve = duration(fields, "max_shelve", in: DurationLimits.maxShelve) { settings.maxShelve = shelve }
        return settings
    }

    /// `chatter: { count, window }` or `flood: { count, window }`.
    private mutating func alarmRate(
        _ node: Node, _ schema: MappingSchema, counts: ClosedRange<Int>
    ) -> (Int, Duration)? {
        guard let fields = fields(node, schema) else { return nil }
        let count = integer(fields, "count", in: counts)
        let window = duration(fields, "window", in: DurationLimits.alarmWindow)
        guard let count, let window else { return nil }
        return (count, window)
    }

    // MARK: Warnings on the whole config

    /// Alarms with no historian: their state (acknowledgements, shelves, episodes) lives in the
    /// historian's file, so without one it does not survive a restart.
    mutating func warnAboutAlarmState(_ config: GatewayConfig) {
        guard config.historian == nil else { return }
        let alarms = config.devices.flatMap { $0.tags.flatMap(\.alarms) }
        guard let first = alarms.first(where: { $0.location != nil }), let location = first.location else { return }
        let what = alarms.count == 1 ? "1 alarm is" : "\(alarms.count) alarms are"
        warning(
            "\(what) defined but there is no historian: alarm state (acknowledgements, shelves, episodes) "
                + "will not persist across restarts; run the map from a gateway config with 'historian:'",
            at: location)
    }
}
