import KilnConfig
import KilnCore
import Testing

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
