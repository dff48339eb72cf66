import Foundation
import KilnCore
import Testing

@testable import KilnConfig

/// `pid_file:` of a gateway config: where it defaults to, and what load time refuses.
struct PIDFileConfigTests {
    static func load(_ yaml: String, in dir: String) throws -> GatewayConfig {
        return try ConfigLoader.load(yaml: "devices:\n  - \(Self.map)\n" + yaml, path: dir + "/kiln.yaml")
    }

    static let map = Bundle.module.resourceURL!.appendingPathComponent("Cases/pid-file/map.yaml").path

    static func folder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-pid-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        return dir
    }

    @Test func theDefaultIsKilnPidInTheHistoriansFolder() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try Self.load("historian:\n  path: data/history.sqlite\n", in: dir)
        #expect(config.pidFile == dir + "/data/kiln.pid")
    }

    @Test func withoutAHistorianOrPidFileThereIsNoLock() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Self.load("", in: dir).pidFile == nil)
    }

    @Test func anExplicitPidFileIsRelativeToTheConfig() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try Self.load("historian:\n  path: data/history.sqlite\npid_file: gateway.pid\n", in: dir)
        #expect(config.pidFile == dir + "/gateway.pid")
    }

    @Test func aFolderOrAnEmptyValueIsAnErrorAtTheKey() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (value, message) in [
            ("data", "pid_file '\(dir)/data' is a folder; name a file in it"), ("''", "'pid_file' is empty"),
        ] {
            let error = #expect(throws: ConfigError.self) { try Self.load("pid_file: \(value)\n", in: dir) }
            #expect(error?.diagnostics.map(\.message) == [message])
            #expect(error?.diagnostics.first?.location.line == 3)
        }
    }
}
