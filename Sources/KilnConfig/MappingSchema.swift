/// The keys one kind of mapping accepts: the single table to extend when a later feature adds a
/// setting. A key missing from its table is reported as unknown, with the nearest known key.
struct MappingSchema: Sendable {
    /// How messages name the mapping (`unknown key 'adress' in tag`).
    var name: String
    /// Every accepted key, in the order the documentation lists them.
    var keys: [String]
    /// The keys that must be present.
    var required: Set<String>

    init(_ name: String, keys: [String], required: Set<String> = []) {
        self.name = name
        self.keys = keys
        self.required = required
    }
}

extension MappingSchema {
    /// A device map: `devices:` is a list of device mappings.
    static let deviceMap = MappingSchema("device map", keys: ["devices"], required: ["devices"])

    /// A gateway config: `devices:` is a list of map files or globs, plus gateway settings.
    static let gateway = MappingSchema(
        "gateway config",
        keys: [
            "devices", "realtime", "historian", "shutdown_timeout", "alarms", "hooks", "remediation", "pid_file",
            "http",
        ],
        required: ["devices"])

    static let historian = MappingSchema(
        "historian", keys: ["path", "flush", "raw_window", "retention"], required: ["path"])

    static let realtime = MappingSchema("realtime", keys: ["policy", "priority", "lock_memory"])

    static let device = MappingSchema(
        "device",
        keys: [
            "name", "host", "port", "unit", "timeout", "poll", "byte_order", "max_registers", "max_bits",
            "max_gap", "simulate", "tags",
        ],
        required: ["name", "host", "tags"]
    )

    static let tag = MappingSchema(
        "tag",
        keys: [
            "name", "register", "address", "type", "byte_order", "bit", "length", "scale", "offset", "unit",
            "poll", "simulate", "range", "sentinels", "thermal", "stuck", "historian", "alarms",
        ],
        required: ["name", "register", "address"]
    )

    /// One entry of a tag's `alarms:`.
    static let alarm = MappingSchema(
        "alarm",
        keys: [
            "name", "above", "below", "rate_above", "rate_below", "deadband", "on_delay", "off_delay", "severity",
            "predict", "latch", "enabled",
        ],
        required: ["name"]
    )

    /// The gateway's `alarms:` settings.
    static let alarmSettings = MappingSchema(
        "alarms", keys: ["sensor_severity", "comm_severity", "chatter", "flood", "max_shelve"])

    /// `chatter:` and `flood:` of the gateway's `alarms:`.
    static let chatter = MappingSchema("chatter", keys: ["count", "window"], required: ["count", "window"])
    static let flood = MappingSchema("flood", keys: ["count", "window"], required: ["count", "window"])

    /// One entry of the gateway's `hooks:`.
    static let hook = MappingSchema(
        "hook",
        keys: [
            "name", "kind", "url", "command", "secret_env", "secret_file", "min_severity", "devices", "tags",
            "transitions", "timeout", "max_age", "resend",
        ],
        required: ["name", "kind"]
    )

    static let thermal = MappingSchema("thermal", keys: ["tau", "max_rate", "noise"], required: ["tau", "max_rate"])

    static let tagHistorian = MappingSchema("tag historian", keys: ["deadband", "compression", "max_interval"])

    static let tagSimulation = MappingSchema(
        "simulate", keys: ["value", "target", "tau", "noise", "period", "faults"])

    static let deviceSimulation = MappingSchema("device simulate", keys: ["faults"])

    static let fault = MappingSchema(
        "fault", keys: ["fault", "at", "for", "every", "size", "rate", "code", "delay"], required: ["fault"])
}
