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
