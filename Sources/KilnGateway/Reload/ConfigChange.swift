import KilnCore

/// What a reload changes, from the running configuration to a new, valid one: which devices and
/// tags were added, removed or changed (by name, ignoring where in the files they are written),
/// and where each tag of the old configuration is in the new one.
public struct ConfigChange: Sendable {
    public let old: GatewayConfig
    public let new: GatewayConfig
    public let newIndex: TagIndex
    public private(set) var devicesAdded: [String] = []
    public private(set) var devicesRemoved: [String] = []
    /// Devices whose connection or scan settings changed (host, port, unit, timeout, poll, ...):
    /// every tag of theirs starts afresh.
    public private(set) var devicesChanged: [String] = []
    public private(set) var tagsAdded: [String] = []
    public private(set) var tagsRemoved: [String] = []
    public private(set) var tagsChanged: [String] = []
    /// Per old device, per old tag: its device and tag index in the new configuration, when it
    /// is still there (changed or not).
    private var location: [[(device: Int, tag: Int)?]] = []
    /// Per old device, per old tag: true when neither the tag nor its device changed.
    private var unchanged: [[Bool]] = []

    public init(from old: GatewayConfig, to new: GatewayConfig) {
        self.old = old
        self.new = new
        newIndex = TagIndex(new)
        var newDevices: [String: Int] = [:]
        for (i, d) in new.devices.enumerated() { newDevices[d.name] = i }
        let oldNames = Set(old.devices.map(\.name))
        devicesAdded = new.devices.map(\.name).filter { !oldNames.contains($0) }
        for device in old.devices {
            guard let n = newDevices[device.name] else {
                devicesRemoved.append(device.name)
                location.append(Array(repeating: nil, count: device.tags.count))
                unchanged.append(Array(repeating: false, count: device.tags.count))
                continue
            }
            let other = new.devices[n]
            let deviceSame = Self.settings(of: device) == Self.settings(of: other)
            if !deviceSame { devicesChanged.append(device.name) }
            var newTags: [String: Int] = [:]
            for (i, t) in other.tags.enumerated() { newTags[t.name] = i }
            var locations: [(device: Int, tag: Int)?] = []
            var same: [Bool] = []
            for tag in device.tags {
                let path = "\(device.name)/\(tag.name)"
                guard let t = newTags[tag.name] else {
                    tagsRemoved.append(path)
                    locations.append(nil)
                    same.append(false)
                    continue
                }
                locations.append((n, t))
                let tagSame = Self.stripped(tag) == Self.stripped(other.tags[t])
                if !tagSame { tagsChanged.append(path) }
                same.append(tagSame && deviceSame)
            }
            location.append(locations)
            unchanged.append(same)
            let oldTags = Set(device.tags.map(\.name))
            tagsAdded += other.tags.filter { !oldTags.contains($0.name) }.map { "\(device.name)/\($0.name)" }
        }
    }

    /// Where an old device's tag is in the new configuration; nil when it was removed.
    public func newLocation(device: Int, tag: Int) -> (device: Int, tag: Int)? {
        guard device >= 0, device < location.count, tag >= 0, tag < location[device].count else { return nil }
        return location[device][tag]
    }

    /// Whether an old device's tag is in the new configuration with the same settings, on a
    /// device with the same settings.
    public func isUnchanged(device: Int, tag: Int) -> Bool {
        guard device >= 0, device < unchanged.count, tag >= 0, tag < unchanged[device].count else { return false }
        return unchanged[device][tag]
    }

    /// Pairs of (old slot, new slot) of the tags that did not change.
    public func unchangedSlots(oldIndex: TagIndex) -> [(old: Int, new: Int)] {
        var pairs: [(old: Int, new: Int)] = []
        for d in unchanged.indices {
            for t in unchanged[d].indices where unchanged[d][t] {
                guard let to = location[d][t], let a = oldIndex.slot(device: d, tag: t),
                    let b = newIndex.slot(device: to.device, tag: to.tag)
                else { continue }
                pairs.append((a, b))
            }
        }
        return pairs
    }

    /// Whether anything about the devices and tags changed.
    public var isEmpty: Bool {
        devicesAdded.isEmpty && devicesRemoved.isEmpty && devicesChanged.isEmpty && tagsAdded.isEmpty
            && tagsRemoved.isEmpty && tagsChanged.isEmpty
    }

    /// `reloaded: 1 device added, 2 tags changed`, or `reloaded: no device or tag changed`.
    public var summary: String {
        func count(_ n: Int, _ noun: String, _ verb: String) -> String? {
            n == 0 ? nil : "\(n) \(noun)\(n == 1 ? "" : "s") \(verb)"
        }
        let parts = [
            count(devicesAdded.count, "device", "added"), count(devicesRemoved.count, "device", "removed"),
            count(devicesChanged.count, "device", "changed"), count(tagsAdded.count, "tag", "added"),
            count(tagsRemoved.count, "tag", "removed"), count(tagsChanged.count, "tag", "changed"),
        ].compactMap { $0 }
        return "reloaded: " + (parts.isEmpty ? "no device or tag changed" : parts.joined(separator: ", "))
    }

    // MARK: What cannot change while running

    /// The settings a running gateway cannot take over (each needs a restart), named as the
    /// config names them; empty when the new configuration can be applied live.
    public static func restartNeeded(from old: GatewayConfig, to new: GatewayConfig) -> [String] {
        var names: [String] = []
        if old.historian?.path != new.historian?.path {
            names.append("historian.path")
        } else if old.historian != new.historian {
            names.append("historian")
        }
        if old.pidFile != new.pidFile { names.append("pid_file") }
        if old.realtime != new.realtime { names.append("realtime") }
        if old.shutdownTimeout != new.shutdownTimeout { names.append("shutdown_timeout") }
        if old.hooks.map({ stripped($0) }) != new.hooks.map({ stripped($0) }) { names.append("hooks") }
        if old.remediation.map({ stripped($0) }) != new.remediation.map({ stripped($0) }) {
            names.append("remediation")
        }
        // The server's socket, tokens and certificate are taken at start.
        if old.http.map({ stripped($0) }) != new.http.map({ stripped($0) }) { names.append("http") }
        if Gateway.hasAlarms(old) != Gateway.hasAlarms(new) {
            names.append("alarms (the first alarm of a gateway without a historian, or its last)")
        }
        return names
    }

    // MARK: Comparing without locations

    /// A device's own settings, without its tags and where it is written.
    static func settings(of device: DeviceConfig) -> DeviceConfig {
        var d = device
        d.tags = []
        d.location = nil
        return d
    }

    static func stripped(_ tag: TagConfig) -> TagConfig {
        var t = tag
        t.location = nil
        t.alarms = t.alarms.map { a in
            var a = a
            a.location = nil
            return a
        }
        return t
    }

    static func stripped(_ http: HTTPConfig) -> HTTPConfig {
        var h = http
        h.location = nil
        h.tokenFileLocation = nil
        h.tlsKeyLocation = nil
        return h
    }

    static func stripped(_ hook: HookConfig) -> HookConfig {
        var h = hook
        h.location = nil
        h.secretLocation = nil
        return h
    }

    static func stripped(_ remediation: RemediationConfig) -> RemediationConfig {
        var r = remediation
        r.location = nil
        r.hosts = r.hosts.map { h in
            var h = h
            h.location = nil
            h.identityLocation = nil
            h.knownHostsLocation = nil
            return h
        }
        r.rules = r.rules.map { rule in
            var rule = rule
            rule.location = nil
            return rule
        }
        return r
    }
}
