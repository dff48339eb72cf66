import KilnCore
import Yams

/// Turns YAML nodes into configuration values, collecting every problem on the way.
///
/// Each decoder (`ConfigReader+Tag.swift`, `+Device`, `+Gateway`, ...) reports into it and goes
/// on, so one run finds every error rather than the first; a caller compares `count` before and
/// after to learn whether a part decoded cleanly.
struct ConfigReader {
    /// The file whose nodes are being decoded; node marks are resolved against it.
    var file: String
    private(set) var all: [Diagnostic] = []
    /// Kept apart from `all`: a warning does not make a part fail to decode.
    private(set) var warnings: [Diagnostic] = []
    /// Hook filter globs, checked against the devices and tags once every map is loaded.
    var hookGlobs: [HookGlob] = []

    init(file: String) { self.file = file }

    var isEmpty: Bool { all.isEmpty }
    /// The errors so far (warnings not counted).
    var count: Int { all.count }
    var hasErrors: Bool { !all.isEmpty }

    /// Where `node` starts in the current file (1:1 when YAML gave no mark).
    func location(of node: Node) -> SourceLocation {
        location(of: node.mark)
    }

    func location(of mark: Mark?) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    mutating func error(_ message: String, at node: Node) {
        error(message, at: location(of: node))
    }

    mutating func error(_ message: String, at location: SourceLocation) {
        all.append(Diagnostic(location: location, message: message))
    }

    mutating func warning(_ message: String, at node: Node) {
        warning(message, at: location(of: node))
    }

    mutating func warning(_ message: String, at location: SourceLocation) {
        warnings.append(Diagnostic(location: location, message: message, severity: .warning))
    }

    /// Checks `node` against `schema` (see `MappingFields`).
    mutating func fields(_ node: Node, _ schema: MappingSchema) -> MappingFields? {
        MappingFields(node, schema: schema, reader: &self)
    }

    /// Every diagnostic once, errors and warnings, by file, line and column (then message, for a
    /// stable order).
    var sorted: [Diagnostic] {
        Set(all + warnings).sorted {
            ($0.location.file, $0.location.line, $0.location.column, $0.message)
                < ($1.location.file, $1.location.line, $1.location.column, $1.message)
        }
    }
}

extension SourceLocation {
    /// `line 12` within the same file, `devices/a.yaml:12` in another: how a message refers back
    /// to an earlier definition.
    func reference(from file: String) -> String {
        self.file == file ? "line \(line)" : "\(self.file):\(line)"
    }
}
