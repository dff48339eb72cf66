import KilnCore
import KilnGateway
import Testing

/// What a reload changes, and what it may not: by name, whatever line a device or tag is on.
@Suite struct ConfigChangeTests {
    static func config(_ devices: [DeviceConfig], historian: String? = "/tmp/h.sqlite") -> GatewayConfig {
        GatewayConfig(path: "/tmp/kiln.yaml", historian: historian.map { HistorianConfig(path: $0) }, devices: devices)
    }

    static func located(_ tag: TagConfig, line: Int) -> TagConfig {
        var t = tag
        t.location = SourceLocation(file: "/tmp/map.yaml", line: line, column: 7)
        return t
    }

    @Test func countsWhatWasAddedRemovedAndChangedByName() {
        var changedTag = tag("b", address: 2)
        changedTag.scale = 0.1
        let old = Self.config([
            device("boiler", tags: [Self.located(tag("a"), line: 5), tag("b", address: 2), tag("c", address: 4)]),
            device("pump", port: 2, tags: [tag("speed")]),
        ])
        let new = Self.config([
            device("chiller", port: 3, tags: [tag("t")]),
            // `a` moved to another line and to the end of the list: not a change.
            device("boiler", tags: [changedTag, tag("d", address: 6), Self.located(tag("a"), line: 9)]),
        ])
        let change = ConfigChange(from: old, to: new)
        #expect(change.devicesAdded == ["chiller"])
        #expect(change.devicesRemoved == ["pump"])
        #expect(change.devicesChanged.isEmpty)
        #expect(change.tagsAdded == ["boiler/d"])
        #expect(change.tagsRemoved == ["boiler/c"])
        #expect(change.tagsChanged == ["boiler/b"])
        #expect(
            change.summary == "reloaded: 1 device added, 1 device removed, 1 tag added, 1 tag removed, 1 tag changed")
        // `a`: old device 0 tag 0 is new device 1 tag 2, unchanged; `b` is there but changed.
        #expect(change.newLocation(device: 0, tag: 0).map { [$0.device, $0.tag] } == [1, 2])
        #expect(change.isUnchanged(device: 0, tag: 0))
        #expect(change.newLocation(device: 0, tag: 1).map { [$0.device, $0.tag] } == [1, 0])
        #expect(!change.isUnchanged(device: 0, tag: 1))
        #expect(change.newLocation(device: 0, tag: 2) == nil)
        #expect(change.newLocation(device: 1, tag: 0) == nil)
        #expect(change.unchangedSlots(oldIndex: TagIndex(old)).map { [$0.old, $0.new] } == [[0, 3]])
    }

    @Test func aDeviceWhoseSettingsChangedRestartsEveryTagOfIt() {
        let old = Self.config([device("boiler", port: 1, tags: [tag("a")])])
        let new = Self.config([device("boiler", port: 2, tags: [tag("a")])])
        let change = ConfigChange(from: old, to: new)
        #expect(change.devicesChanged == ["boiler"])
        #expect(change.tagsChanged.isEmpty)
        #expect(!change.isUnchanged(device: 0, tag: 0))
        #expect(change.summary == "reloaded: 1 device changed")
        #expect(ConfigChange(from: old, to: old).summary == "reloaded: no device or tag changed")
    }

    @Test func settingsThatNeedARestartAreNamed() {
        let devices = [device("boiler", tags: [tag("a")])]
        let old = Self.config(devices)
        #expect(ConfigChange.restartNeeded(from: old, to: old).isEmpty)
        #expect(
            ConfigChange.restartNeeded(from: old, to: Self.config(devices, historian: "/tmp/other.sqlite")) == [
                "historian.path"
            ])
        var flush = old
        flush.historian?.flush = .milliseconds(200)
        #expect(ConfigChange.restartNeeded(from: old, to: flush) == ["historian"])
        var lock = old
        lock.pidFile = "/tmp/other.pid"
        lock.shutdownTimeout = .seconds(3)
        #expect(ConfigChange.restartNeeded(from: old, to: lock) == ["pid_file", "shutdown_timeout"])
    }
}
