import KilnCore

/// One problem found in a configuration file, printed in the compiler's form so editors jump to it:
/// `FILE:LINE:COLUMN: error: MESSAGE`.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    public init(location: SourceLocation, message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): error: \(message)" }
}

/// Every problem found while loading, in file and line order.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Loads device maps and gateway configs.
public enum ConfigLoader {
    /// Loads a gateway config (whose `devices:` lists map files or globs, relative to it) or a
    /// device map on its own (whose `devices:` lists devices), told apart by content.
    ///
    /// - Parameter path: the file to load.
    /// - Throws: `ConfigError` with every problem found in the file and the maps it names.
    public static func load(path: String) throws(ConfigError) -> GatewayConfig {
        throw ConfigError(diagnostics: [
            Diagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "not yet implemented")
        ])
    }
}
