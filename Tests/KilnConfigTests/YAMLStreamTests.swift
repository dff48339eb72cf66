import Foundation
import KilnCore
import Testing
import Yams

@testable import KilnConfig

/// The streaming composer (YAMLStream) against Yams: the same nodes, the same marks, and a
/// hand-back to Yams for everything it does not reproduce.
struct YAMLStreamTests {
    /// Every `devices:` entry, streamed, next to the same file composed by Yams.
    private func streamed(_ yaml: String) -> (YAMLStream.Outcome, [Node]) {
        var text = yaml
        var entries: [Node] = []
        let outcome = text.withUTF8 { bytes in YAMLStream.compose(bytes) { entries.append($0) } }
        return (outcome, entries)
    }

    private func yamsEntries(_ yaml: String) throws -> [Node] {
        let root = try #require(try Yams.compose(yaml: yaml, .basic, .default, .utf8))
        return Array(try #require(root.mapping?["devices"]?.sequence))
    }

    /// Node equality and, recursively, every mark, style and anchor-shared value.
    private func expectSame(_ a: Node, _ b: Node, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(a == b, sourceLocation: sourceLocation)
        #expect(a.mark?.line == b.mark?.line, sourceLocation: sourceLocation)
        #expect(a.mark?.column == b.mark?.column, sourceLocation: sourceLocation)
        switch (a, b) {
        case (.scalar(let x), .scalar(let y)):
            #expect(x.style == y.style, sourceLocation: sourceLocation)
            #expect(x.tag.description == y.tag.description, sourceLocation: sourceLocation)
        case (.mapping(let x), .mapping(let y)):
            #expect(x.count == y.count, sourceLocation: sourceLocation)
            for (p, q) in zip(x, y) {
                expectSame(p.key, q.key, sourceLocation: sourceLocation)
                expectSame(p.value, q.value, sourceLocation: sourceLocation)
            }
        case (.sequence(let x), .sequence(let y)):
            #expect(x.count == y.count, sourceLocation: sourceLocation)
            for (p, q) in zip(x, y) { expectSame(p, q, sourceLocation: sourceLocation) }
        default:
            Issue.record("different kinds of node: \(a) and \(b)", sourceLocation: sourceLocation)
        }
    }

    @Test func aMarkHoldsTheLineAndColumnItWasMadeWith() {
        let mark = Mark.at(line: 12_345, column: 67)
        #expect(mark.line == 12_345)
        #expect(mark.column == 67)
        #expect(mark.description == "12345:67")
    }

    @Test func theDemoPlantStreamsTheNodesYamsComposes() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../devices").standardized.path
        let maps = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }
        try #require(!maps.isEmpty, "no device maps in \(folder)")
        for map in maps {
            let yaml = try String(contentsOfFile: folder + "/" + map, encoding: .utf8)
            let (outcome, entries) = streamed(yaml)
            guard case .streamed(_, let count) = outcome else {
                Issue.record("\(map) was not streamed")
                continue
            }
            let expected = try yamsEntries(yaml)
            #expect(count == expected.count)
            #expect(entries.count == expected.count)
            for (a, b) in zip(entries, expected) { expectSame(a, b) }
        }
    }

    @Test func anchorsMergeKeysQuotesAndBlockTextStreamAsYamsComposesThem() throws {
        let yaml = """
            # a comment
            x-templates:
              probe: &probe { register: input, type: float32, scale: 0.1 }
            devices:
              - ~
              - name: "boiler-1"
                host: '10.0.0.5'
                tags:
                  - { <<: *probe, name: t1, address: 0 }
                  - <<: *probe
                    name: t2
                    address: 2
                    unit: |
                      degrees
              - &second
                name: boiler-2
                host: 10.0.0.6
                tags: [ { name: a, register: coil, address: 1 } ]
            """
        let (outcome, entries) = streamed(yaml)
        guard case .streamed(let root, let count) = outcome else {
            Issue.record("not streamed")
            return
        }
        let expected = try yamsEntries(yaml)
        #expect(count == 3)
        #expect(entries.count == expected.count)
        for (a, b) in zip(entries, expected) { expectSame(a, b) }
        // The root keeps its other keys, and an empty `devices:` list where it was.
        #expect(root.mapping?["x-templates"] != nil)
        #expect(root.mapping?["devices"]?.sequence?.count == 0)
        #expect(root.mapping?["devices"]?.mark?.line == 5)
    }

    @Test(arguments: [
        ("a syntax error after two devices", "devices:\n  - name: a\n    host: h\n  - name: b\n    host: [\n"),
        ("an explicit tag", "devices:\n  - name: !!str a\n    host: h\n"),
        ("two equal keys", "devices:\n  - name: a\n    name: b\n"),
        ("an undefined alias", "devices:\n  - name: a\n    host: *nowhere\n"),
        ("two documents", "devices:\n  - name: a\n---\ndevices: []\n"),
        ("a gateway config", "devices:\n  - plant.yaml\nrealtime: { policy: other }\n"),
        ("no devices", "devices: []\n"),
        ("a list at the top", "- name: a\n"),
        ("an anchored devices list", "devices: &all\n  - name: a\n"),
        (
            "deep nesting",
            "devices:\n  - name: " + String(repeating: "[", count: 900) + String(repeating: "]", count: 900) + "\n"
        ),
    ])
    func whatYamsMustDecideIsHandedBack(what: String, yaml: String) {
        let (outcome, _) = streamed(yaml)
        guard case .unsupported = outcome else {
            Issue.record("\(what) was streamed")
            return
        }
    }

    @Test func aYAMLErrorAfterBadDevicesReportsOnlyTheYAMLError() {
        // Device `a` has an unknown key: streaming reported it before the syntax error came,
        // and that report is withdrawn, as when Yams composes the file whole.
        let yaml = "devices:\n  - name: a\n    hots: h\n    tags: []\n  - name: b\n    host: [\n"
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(yaml: yaml, path: "m.yaml") }
        #expect(error?.diagnostics.count == 1)
        #expect(error?.diagnostics.first?.description.hasPrefix("m.yaml:7:1: error: invalid YAML") == true)
    }

    @Test func aStreamedMapReportsItsErrorsAtTheirLines() {
        let yaml = """
            devices:
              - name: a
                host: 10.0.0.1
                tags:
                  - { name: t, register: holding, address: 0, type: int16 }
              - name: a
                host: 10.0.0.2
                tags:
                  - { name: t, register: holdng, address: 0, type: int16 }
            """
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(yaml: yaml, path: "m.yaml") }
        let lines = error?.diagnostics.map { "\($0.location.line):\($0.location.column)" } ?? []
        #expect(lines == ["6:11", "9:30"])
    }
}
