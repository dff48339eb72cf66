import Foundation
import KilnConfig
import KilnCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Files that cannot be read, and how diagnostics are ordered and printed.
struct LoadingTests {
    @Test func aMissingFileSaysWhyAtItsFirstLine() {
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader.load(path: "/nonexistent/kiln/map.yaml")
        }
        #expect(
            error?.description == "/nonexistent/kiln/map.yaml:1:1: error: cannot open file: No such file or directory")
    }

    @Test func everyErrorIsReportedInLineOrder() {
        let yaml = """
            devices:
              - name: b
                host: h
                tags:
                  - { name: z, register: holding, address: 40001, type: float32 }
              - name: a
                host: h
                port: 0
                tags:
                  - { name: y, register: coil, address: 0, type: int16 }
            """
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(yaml: yaml, path: "m.yaml") }
        let lines = error?.diagnostics.map(\.location.line) ?? []
        #expect(lines == [5, 8, 10])
        #expect(error?.diagnostics.allSatisfy { $0.location.file == "m.yaml" } == true)
    }

    @Test func diagnosticsPrintInTheCompilerForm() {
        let diagnostic = Diagnostic(
            location: SourceLocation(file: "devices/plant.yaml", line: 12, column: 18), message: "bad")
        #expect(diagnostic.description == "devices/plant.yaml:12:18: error: bad")
    }
}

/// Files that are not regular files of bounded size are refused before they are read.
struct SpecialFileTests {
    private func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-special-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aFIFOIsRefusedWithoutBlocking() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/map.yaml", 0o600) == 0)
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(path: dir + "/map.yaml") }
        #expect(
            error?.description
                == "\(dir)/map.yaml:1:1: error: not a regular file (a FIFO); a config file must be a regular file")
    }

    @Test func aFolderIsRefused() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(path: dir) }
        #expect(error?.description.contains("not a regular file (a folder)") == true)
    }

    @Test func aFileOverTheLimitIsRefusedAtItsDevicesEntry() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let big = "devices:\n#" + String(repeating: "x", count: 4 * 1024 * 1024) + "\n"
        try big.write(toFile: dir + "/big.yaml", atomically: false, encoding: .utf8)
        try "devices:\n  - big.yaml\n".write(toFile: dir + "/kiln.yaml", atomically: false, encoding: .utf8)
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(path: dir + "/kiln.yaml") }
        #expect(
            error?.description
                == "\(dir)/kiln.yaml:2:5: error: cannot load '\(dir)/big.yaml': file is 4194315 bytes; config files "
                + "are limited to 4 MB (4194304 bytes) (split a big plant into several maps listed under 'devices:')")
    }

    @Test func textInHandOverTheLimitIsRefused() {
        let big = "devices:\n#" + String(repeating: "x", count: 4 * 1024 * 1024) + "\n"
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(yaml: big, path: "m.yaml") }
        #expect(error?.diagnostics.first?.location.line == 1)
    }
}

/// Files within the size limit whose shape alone would cost too much memory to compose.
struct NodeBudgetTests {
    @Test func tooManyNodesAreRefusedWhereTheLimitIsCrossed() {
        let yaml = "devices: []\nx-big: [" + Array(repeating: "1", count: 750_001).joined(separator: ",") + "]\n"
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(yaml: yaml, path: "m.yaml") }
        #expect(error?.diagnostics.count == 1)
        #expect(error?.diagnostics.first?.location.line == 2)
        #expect(error?.diagnostics.first?.message.hasPrefix("the file holds more than 750000 YAML nodes") == true)
    }

    @Test func aMappingOfTooManyKeysIsRefused() {
        let yaml = "devices: []\nx-big:\n" + (0...10_000).map { "  k\($0): 1\n" }.joined()
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(yaml: yaml, path: "m.yaml") }
        #expect(
            error?.description
                == "m.yaml:10003:3: error: a mapping with more than 10000 keys; config mappings are limited to 10000 keys"
        )
    }
}
