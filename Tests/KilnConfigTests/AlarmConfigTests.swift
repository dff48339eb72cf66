import Foundation
import KilnCore
import Testing

@testable import KilnConfig

/// Tag `alarms:` and the gateway's `alarms:` decode into exactly the values written.
struct AlarmConfigTests {
    static let cases = Bundle.module.resourceURL!.appendingPathComponent("Cases").path

    @Test func everyAlarmKeyDecodes() throws {
        let path = Self.cases + "/alarms-clean/map.yaml"
        let checked = try ConfigLoader.check(path: path)
        let tags = checked.config.devices.flatMap(\.tags)
        let supply = try #require(tags.first { $0.name == "supply_temp" })
        #expect(
            supply.alarms == [
                AlarmDefinition(
                    name: "high", limit: .above(85), deadband: 2, onDelay: .seconds(30), offDelay: .seconds(10),
                    severity: .major, predict: .seconds(300), latch: false, outOfService: false,
                    location: KilnCore.SourceLocation(file: path, line: 14, column: 13)),
                AlarmDefinition(
                    name: "rising_fast", limit: .rateAbove(0.2),
                    location: KilnCore.SourceLocation(file: path, line: 22, column: 13)),
                AlarmDefinition(
                    name: "low", limit: .below(5), severity: .info, latch: true, outOfService: true,
                    location: KilnCore.SourceLocation(file: path, line: 24, column: 13)),
            ])
        let burner = try #require(tags.first { $0.name == "burner_on" })
        #expect(burner.alarms.map(\.limit) == [.below(1)])
        #expect(burner.alarms.map(\.severity) == [.critical])
        // A map on its own has no historian: said once, at the first alarm.
        #expect(checked.warnings.count == 1)
        #expect(checked.warnings.first?.severity == .warning)
        #expect(checked.warnings.first?.message.contains("will not persist") == true)
    }

    @Test func aTagWithoutAlarmsHasNone() throws {
        let config = try ConfigLoader.load(
            yaml: "devices:\n  - name: d\n    host: 127.0.0.1\n    tags:\n"
                + "      - { name: t, register: holding, address: 0, type: int16, alarms: [] }\n",
            path: "/tmp/none.yaml")
        #expect(config.devices[0].tags[0].alarms.isEmpty)
    }

    @Test func gatewaySettingsDecode() throws {
        let checked = try ConfigLoader.check(path: Self.cases + "/hooks-clean/kiln.yaml")
        #expect(
            checked.config.alarms
                == AlarmSettings(
                    sensorSeverity: .major, commSeverity: .critical, chatterCount: 4, chatterWindow: .seconds(120),
                    floodCount: 20, floodWindow: .seconds(600), maxShelve: .seconds(7 * 86_400)))
    }

    @Test func gatewaySettingsDefaultWhenLeftOut() throws {
        let config = try ConfigLoader.load(path: Self.cases + "/gateway-glob/kiln.yaml")
        #expect(config.alarms == AlarmSettings())
        #expect(config.hooks.isEmpty)
    }

    /// The errors found by `load` are the same as those of `check`, without the warnings.
    @Test func loadLeavesWarningsOut() throws {
        let path = Self.cases + "/alarms-clean/map.yaml"
        _ = try ConfigLoader.load(path: path)
        let yaml = try String(contentsOfFile: path, encoding: .utf8) + "        x-broken: [\n"
        let loadError = #expect(throws: ConfigError.self) { try ConfigLoader.load(yaml: yaml, path: path) }
        let checkError = #expect(throws: ConfigError.self) { try ConfigLoader.check(path: path, yaml: yaml) }
        #expect(loadError?.diagnostics.allSatisfy { $0.severity == .error } == true)
        #expect(checkError?.diagnostics.filter { $0.severity == .error } == loadError?.diagnostics)
    }
}
