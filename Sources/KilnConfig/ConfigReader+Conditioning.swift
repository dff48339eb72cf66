import KilnCore
import Yams

extension ConfigReader {
    /// A tag's conditioning keys: `range`, `sentinels`, `thermal`, `stuck` (numeric tags only).
    mutating func conditioning(_ fields: MappingFields, type: DataType) -> ConditioningConfig {
        var conditioning = ConditioningConfig()
        let keys = ["range", "sentinels", "thermal", "stuck"]
        if !type.isNumeric {
            for key in keys {
                if let keyNode = fields.keyNode(key) {
                    error("'\(key)' applies only to numeric types, not \(type)", at: keyNode)
                }
            }
            return conditioning
        }
        if let node = fields["range"] { conditioning.range = range(node) }
        if let nodes = list(fields, "sentinels") {
            conditioning.sentinels = nodes.compactMap {
                number($0, "sentinels", in: type.rawRange ?? NumberLimits.anyFinite)
            }
        }
        if let node = fields["thermal"] { conditioning.thermal = thermal(node) }
        conditioning.stuck = duration(fields, "stuck", in: DurationLimits.signal)
        if let key = fields.keyNode("stuck"), !fields.has("thermal") {
            // Stuck detection judges change against the noise floor `thermal:` declares.
            error("'stuck' needs 'thermal: { tau, max_rate, noise }' to know the signal's noise floor", at: key)
        }
        return conditioning
    }

    /// `range: [lo, hi]` with lo < hi.
    private mutating func range(_ node: Node) -> ClosedRange<Double>? {
        guard case .sequence(let sequence) = node, sequence.count == 2 else {
            error("expected 'range: [low, high]', found \(node.describedForMessage)", at: node)
            return nil
        }
        guard let low = number(sequence[0], "range", in: NumberLimits.engineering),
            let high = number(sequence[1], "range", in: NumberLimits.engineering)
        else { return nil }
        guard low < high else {
            error("'range' must go from low to high, found [\(Value.format(low)), \(Value.format(high))]", at: node)
            return nil
        }
        return low...high
    }

    /// `thermal: { tau, max_rate, noise }`.
    private mutating func thermal(_ node: Node) -> ThermalConfig? {
        guard let fields = fields(node, .thermal) else { return nil }
        let tau = duration(fields, "tau", in: DurationLimits.signal)
        let maxRate = number(fields, "max_rate", in: NumberLimits.engineering)
        let noise = number(fields, "noise", in: NumberLimits.engineering) ?? 0
        if let maxRate, maxRate <= 0, let n = fields["max_rate"] {
            error("'max_rate' must be greater than zero (units per second)", at: n)
            return nil
        }
        if noise < 0, let n = fields["noise"] {
            error("'noise' must not be negative", at: n)
            return nil
        }
        guard let tau, let maxRate else { return nil }
        return ThermalConfig(tau: tau, maxRate: maxRate, noise: noise)
    }

    /// A tag's `historian: { deadband, compression, max_interval }`.
    mutating func tagHistorian(_ node: Node) -> TagHistorianConfig? {
        guard let fields = fields(node, .tagHistorian) else { return nil }
        var config = TagHistorianConfig()
        for key in ["deadband", "compression"] {
            guard let value = number(fields, key, in: NumberLimits.engineering) else { continue }
            if value < 0, let n = fields[key] {
                error("'\(key)' must not be negative", at: n)
                continue
            }
            if key == "deadband" { config.deadband = value } else { config.compression = value }
        }
        config.maxInterval = duration(fields, "max_interval", in: DurationLimits.signal)
        return config
    }

    /// The gateway's `historian: { path, flush, raw_window, retention }`; `path` is relative to
    /// the gateway config's folder.
    mutating func historian(_ node: Node) -> HistorianConfig? {
        guard let fields = fields(node, .historian), let path = text(fields, "path") else { return nil }
        var config = HistorianConfig(path: FilePaths.resolve(path, relativeTo: file))
        if let problem = FilePaths.databaseProblem(config.path), let node = fields["path"] { error(problem, at: node) }
        if let flush = duration(fields, "flush", in: DurationLimits.flush) { config.flush = flush }
        if let window = duration(fields, "raw_window", in: DurationLimits.keep) { config.rawWindow = window }
        config.retention = duration(fields, "retention", in: DurationLimits.keep)
        if let retention = config.retention, retention < config.rawWindow, let n = fields["retention"] {
            error(
                "'retention' (\(DurationText.format(retention))) is shorter than 'raw_window' "
                    + "(\(DurationText.format(config.rawWindow))): data would be dropped before it is compacted",
                at: n)
        }
        return config
    }
}
