import Foundation
import KilnConfig
import KilnCore
import Testing

/// The demo plant in `devices/` and the example gateway config in `config/` must load cleanly:
/// the README's demo runs on them.
struct DemoPlantTests {
    /// The package root, found from this file's place in `Tests/KilnConfigTests/`.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func load(_ relative: String) throws -> GatewayConfig {
        try ConfigLoader.load(path: root + "/" + relative)
    }

    @Test func plantMapLoadsWithoutDiagnostics() throws {
        let plant = try Self.load("devices/plant.yaml")
        #expect(plant.devices.map(\.name) == ["boiler-1", "chiller-1", "pump-1", "pump-2", "pump-3"])
    }

    @Test func gatewayConfigLoadsTheDemoMaps() throws {
        let gateway = try Self.load("config/kiln.yaml")
        let plant = try Self.load("devices/plant.yaml")
        #expect(gateway.devices.map(\.name) == plant.devices.map(\.name))
        #expect(gateway.realtime == RealtimeConfig(policy: .fifo, priority: 50, lockMemory: false))
        #expect(gateway.path == Self.root + "/config/kiln.yaml")
        // Maps are named by their tidied path: no `config/../` left in diagnostics or locations.
        let location = try #require(gateway.devices.first?.location)
        #expect(location.file == Self.root + "/devices/plant.yaml")
    }

    @Test func everyDeviceIsLocalOnItsOwnPort() throws {
        let devices = try Self.load("devices/plant.yaml").devices
        #expect(devices.allSatisfy { $0.host == "127.0.0.1" })
        #expect(devices.map(\.port) == Array(15020..<15020 + devices.count))
    }

    @Test func theTagsCoverTheContract() throws {
        let tags = try Self.load("devices/plant.yaml").devices.flatMap(\.tags)
        #expect(tags.count >= 40)
        let types = Set(tags.map(\.type))
        for type in [DataType.bool, .int16, .uint16, .uint32, .int64, .uint64, .float32, .float64, .string] {
            #expect(types.contains(type), "no \(type) tag")
        }
        let floatOrders = Set(tags.filter { $0.type == .float32 }.map(\.byteOrder))
        #expect(floatOrders == Set(ByteOrder.allCases))
        #expect(Set(tags.map(\.register)) == Set(RegisterKind.allCases))
        #expect(tags.contains { $0.bit != nil })
        #expect(tags.contains { $0.type == .int16 && $0.scale != 1 && $0.offset != 0 })
        #expect(Set(tags.map(\.poll)) == [.milliseconds(500), .seconds(1), .seconds(5)])
        #expect(tags.allSatisfy { $0.simulation != nil })
        #expect(tags.filter { $0.type.isNumeric && $0.simulation?.target != nil }.count >= 20)
        #expect(tags.contains { $0.simulation?.faults.contains { $0.kind == .spike } == true })
    }
}

/// The demo's alarms and the example (commented) alarm settings and hooks of `config/kiln.yaml`.
struct DemoAlarmTests {
    @Test func theDemoHasAPredictedHighARateAlarmAndAChilledWaterLow() throws {
        let devices = try DemoPlantTests.load("devices/plant.yaml").devices
        func alarms(_ device: String, _ tag: String) -> [AlarmDefinition] {
            devices.first { $0.name == device }?.tags.first { $0.name == tag }?.alarms ?? []
        }
        let supply = alarms("boiler-1", "supply_temp")
        #expect(supply.contains { $0.limit == .above(95) && $0.predict == .seconds(300) && $0.severity == .major })
        #expect(supply.contains { if case .rateAbove = $0.limit { true } else { false } })
        #expect(alarms("chiller-1", "chw_supply_temp").map(\.limit) == [.below(3.5)])
        // The thermocouple with scripted spikes has a process alarm the spikes must not raise
        // (its sensor goes Bad instead): the limit sits below the range's end, not near the spike.
        #expect(alarms("boiler-1", "return_temp").map(\.limit) == [.above(90)])
    }

    /// The simulated values settle inside every demo alarm's limits, so the demo does not raise
    /// its process alarms constantly: each value limit lies beyond both the starting value and the
    /// target of the tag's simulation, on the alarm's side.
    @Test func theSimulatedPlantSettlesInsideEveryLimit() throws {
        let tags = try DemoPlantTests.load("devices/plant.yaml").devices.flatMap(\.tags)
        var checked = 0
        for tag in tags {
            guard let simulation = tag.simulation else { continue }
            let values = [simulation.value, simulation.target ?? simulation.value]
            for alarm in tag.alarms {
                switch alarm.limit {
                case .above(let limit):
                    #expect(values.allSatisfy { $0 + 3 * simulation.noise < limit }, "\(tag.name).\(alarm.name)")
                    checked += 1
                case .below(let limit):
                    #expect(values.allSatisfy { $0 - 3 * simulation.noise > limit }, "\(tag.name).\(alarm.name)")
                    checked += 1
                case .rateAbove(let limit):
                    // A first-order approach climbs fastest at its start: (target - value) / tau.
                    let tau = Double(simulation.tau.components.seconds)
                    let steepest = abs((simulation.target ?? simulation.value) - simulation.value) / tau
                    #expect(steepest < limit, "\(tag.name).\(alarm.name)")
                    checked += 1
                case .rateBelow:
                    break
                }
            }
        }
        #expect(checked >= 8)
    }

    /// The commented `alarms:`, `hooks:` and `http:` examples of the gateway config, uncommented, load,
    /// and the alarm settings they show are the defaults they claim to be.
    @Test func theCommentedExamplesLoadWhenUncommented() throws {
        let text = try String(contentsOfFile: DemoPlantTests.root + "/config/kiln.yaml", encoding: .utf8)
        var uncommented: [String] = []
        var inBlock = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "# alarms:" || line == "# hooks:" || line == "# http:" {
                inBlock = true
            } else if !line.hasPrefix("#   ") {
                inBlock = false
            }
            uncommented.append(inBlock ? String(line.dropFirst(2)) : String(line))
        }
        let checked = try ConfigLoader.check(
            path: DemoPlantTests.root + "/config/kiln.yaml", yaml: uncommented.joined(separator: "\n"))
        #expect(checked.config.alarms == AlarmSettings())
        #expect(checked.config.hooks.map(\.name) == ["ops", "alertmanager", "oncall", "log"])
        #expect(checked.config.hooks.map(\.kind) == [.webhook, .alertmanager, .pagerduty, .exec])
        #expect(checked.warnings.isEmpty)
        #expect(checked.config.http?.listenText == "127.0.0.1:8080")
        #expect(checked.config.http?.tokenFile == "/etc/kiln/api.tokens")
        #expect(checked.config.http?.tls?.key == "/etc/kiln/tls.key")
    }
}
