import Foundation
import KilnCore
import Testing

@testable import KilnConfig

/// Gateway configs: map files and globs relative to the config, in sorted order, each once.
struct GatewayTests {
    static let cases = Bundle.module.resourceURL!.appendingPathComponent("Cases").path

    @Test func globsExpandInSortedOrderAndEachMapLoadsOnce() throws {
        let config = try ConfigLoader.load(path: Self.cases + "/gateway-glob/kiln.yaml")
        #expect(config.devices.map(\.name) == ["boiler-1", "chiller-1"])
        #expect(
            config.devices.map { $0.location?.file } == [
                Self.cases + "/gateway-glob/maps/a-boiler.yaml", Self.cases + "/gateway-glob/maps/b-chiller.yaml",
            ])
        #expect(config.realtime == RealtimeConfig())
    }

    @Test func aGlobPastTheMapFileLimitStopsAtItsEntry() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-maps-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir + "/maps", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for i in 0...ConfigReader.mapFileLimit {
            try "devices: []\n".write(toFile: dir + "/maps/m\(i).yaml", atomically: false, encoding: .utf8)
        }
        try "devices:\n  - maps/*.yaml\n".write(toFile: dir + "/kiln.yaml", atomically: false, encoding: .utf8)
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(path: dir + "/kiln.yaml") }
        let atEntry = error?.diagnostics.filter {
            $0.location == SourceLocation(file: dir + "/kiln.yaml", line: 2, column: 5)
        }
        #expect(
            atEntry?.map(\.message) == [
                "'maps/*.yaml' brings the gateway past 1000 device map files; a gateway loads at most 1000"
            ])
    }

    @Test func aConfigIsToldFromAMapByItsDevicesEntries() throws {
        let gateway = try ConfigLoader.load(
            yaml: "devices: [maps/*.yaml]\nrealtime: { policy: rr, priority: 10, lock_memory: true }\n",
            path: Self.cases + "/gateway-glob/other.yaml")
        #expect(gateway.devices.count == 2)
        #expect(gateway.realtime == RealtimeConfig(policy: .rr, priority: 10, lockMemory: true))
        #expect(gateway.path == Self.cases + "/gateway-glob/other.yaml")
    }

    @Test func entriesResolveAgainstTheConfigFolder() {
        #expect(FilePaths.resolve("../devices/*.yaml", relativeTo: "config/kiln.yaml") == "devices/*.yaml")
        #expect(FilePaths.resolve("maps/a.yaml", relativeTo: "kiln.yaml") == "maps/a.yaml")
        #expect(FilePaths.resolve("./a.yaml", relativeTo: "/etc/kiln/kiln.yaml") == "/etc/kiln/a.yaml")
        #expect(FilePaths.resolve("/srv/maps/a.yaml", relativeTo: "config/kiln.yaml") == "/srv/maps/a.yaml")
        #expect(FilePaths.resolve("../../a.yaml", relativeTo: "config/kiln.yaml") == "../a.yaml")
        #expect(FilePaths.normalize("/../a//b/./c") == "/a/b/c")
    }

    @Test func globsSkipFoldersAndOtherExtensions() {
        let maps = FilePaths.expand(Self.cases + "/gateway-glob/maps/*")
        #expect(maps.map { ($0 as NSString).lastPathComponent } == ["a-boiler.yaml", "b-chiller.yaml", "notes.txt"])
        #expect(FilePaths.expand(Self.cases + "/gateway-glob/*").allSatisfy { !$0.hasSuffix("maps") })
        #expect(FilePaths.expand(Self.cases + "/gateway-glob/maps/*.yml").isEmpty)
    }
}
