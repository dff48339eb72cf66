import KilnCore

/// The alarms and tags a rule may name, from the loaded device maps.
struct RemediationCatalog {
    /// Every alarm path: `device/comm`, `device/tag/sensor`, `device/tag/NAME`.
    var alarms: Set<String> = []
    var alarmList: [String] = []
    /// `device/tag` of every tag, with its type.
    var tags: [String: DataType] = [:]
    var numericTags: [String] = []

    init(_ config: GatewayConfig) {
        for device in config.devices {
            add("\(device.name)/comm")
            for tag in device.tags {
                let path = "\(device.name)/\(tag.name)"
                tags[path] = tag.type
                if tag.type.isNumeric { numericTags.append(path) }
                if Self.hasSensorAlarm(tag) { add(path + "/sensor") }
                for alarm in tag.alarms { add(path + "/" + alarm.name) }
            }
        }
    }

    private mutating func add(_ path: String) {
        alarms.insert(path)
        alarmList.append(path)
    }

    /// Whether a tag has the built-in `sensor` alarm. This mirrors `KilnAlarms.AlarmCatalog`
    /// exactly (a test holds the two together): conditioning can call the sensor Bad (`range`,
    /// `sentinels`, `thermal` or `stuck`), or the tag has process alarms.
    static func hasSensorAlarm(_ tag: TagConfig) -> Bool {
        let c = tag.conditioning
        let conditioned = c.range != nil || !c.sentinels.isEmpty || c.thermal != nil || c.stuck != nil
        return conditioned || !tag.alarms.isEmpty
    }

    func alarmProblem(_ path: String) -> String? {
        guard !alarms.contains(path) else { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 3, parts[2] == "sensor", tags[String(parts[0] + "/" + parts[1])] != nil {
            return "tag '\(parts[0])/\(parts[1])' has no sensor alarm: only a tag with range, sentinels, thermal, "
                + "stuck or alarms has one"
        }
        let shown = ConfigReader.quoted(path)
        if let near = Suggestion.nearest(to: path, in: alarmList) {
            return "unknown alarm '\(shown)'; did you mean '\(near)'?"
        }
        return "unknown alarm '\(shown)'; an alarm is DEVICE/TAG/NAME (an alarm of the tag), "
            + "DEVICE/TAG/sensor (a conditioned tag's Bad sensor) or DEVICE/comm"
    }

    func verifyTagProblem(_ path: String) -> String? {
        if let type = tags[path] {
            return type.isNumeric ? nil : "verify needs a numeric tag; '\(path)' is of type \(type.rawValue)"
        }
        let hint = Suggestion.hint(for: path, in: numericTags)
        return "unknown tag '\(ConfigReader.quoted(path))' in verify\(hint)"
    }
}
