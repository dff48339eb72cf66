import KilnCore
import Yams

/// One problem found in a configuration file, printed in the compiler's form so editors jump to it:
/// `FILE:LINE:COLUMN: error: MESSAGE` (or `warning:`).
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// An error refuses the file; a warning is reported and the file still loads.
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    public var location: SourceLocation
    public var message: String
    public var severity: Severity

    public init(location: SourceLocation, message: String, severity: Severity = .error) {
        self.location = location
        self.message = message
        self.severity = severity
    }

    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

/// A configuration that loaded, with the warnings found on the way (`kiln check` prints them).
public struct CheckedConfig: Sendable {
    public var config: GatewayConfig
    /// In file and line order.
    public var warnings: [Diagnostic]
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
        try load(path: path, text: nil)
    }

    /// Loads a gateway config or device map from text in hand, as if read from `path`: the
    /// diagnostics name `path`, and the maps a gateway config names are read relative to it.
    ///
    /// - Parameters:
    ///   - yaml: the file's contents.
    ///   - path: where the contents are said to come from.
    /// - Throws: `ConfigError` with every problem found.
    public static func load(yaml: String, path: String) throws(ConfigError) -> GatewayConfig {
        try load(path: path, text: yaml)
    }

    /// Loads like `load(path:)`, and also returns the warnings (a webhook without a signing
    /// secret, alarms with no historian to keep their state). When the file has errors, the
    /// thrown `ConfigError` carries the warnings too, among the errors.
    ///
    /// - Parameters:
    ///   - path: the file to load.
    ///   - yaml: the file's contents, when in hand (read from `path` otherwise).
    public static func check(path: String, yaml: String? = nil) throws(ConfigError) -> CheckedConfig {
        var reader = ConfigReader(file: path)
        let config = read(path: path, text: yaml, reader: &reader)
        let diagnostics = reader.sorted
        guard !reader.hasErrors else { throw ConfigError(diagnostics: diagnostics) }
        return CheckedConfig(config: config, warnings: diagnostics)
    }

    private static func load(path: String, text: String?) throws(ConfigError) -> GatewayConfig {
        var reader = ConfigReader(file: path)
        let config = read(path: path, text: text, reader: &reader)
        guard !reader.hasErrors else { throw ConfigError(diagnostics: reader.sorted.filter { $0.severity == .error }) }
        return config
    }

    private static func read(path: String, text: String?, reader: inout ConfigReader) -> GatewayConfig {
        var config = GatewayConfig(path: path, devices: [])
        // Device names are unique across every map of a gateway.
        var deviceNames = NameRegistry()
        if let file = compose(path: path, text: text, names: &deviceNames, reader: &reader) {
            switch file {
            case .deviceMap(let root, let devices):
                if reader.root(root, .deviceMap) != nil { config.devices = devices }
            case .tree(let root):
                switch ConfigFileKind(root: root) {
                case .deviceMap:
                    if let fields = reader.root(root, .deviceMap) {
                        config.devices = reader.deviceMap(fields, names: &deviceNames)
                    }
                case .gateway:
                    if let fields = reader.root(root, .gateway) {
                        if let realtime = fields["realtime"] { config.realtime = reader.realtime(realtime) }
                        if let historian = fields["historian"] { config.historian = reader.historian(historian) }
                        config.pidFile = reader.pidFile(fields, historian: config.historian)
                        if let http = fields["http"] { config.http = reader.http(http) }
                        if let timeout = reader.duration(fields, "shutdown_timeout", in: DurationLimits.shutdown) {
                            config.shutdownTimeout = timeout
                        }
                        if let alarms = fields["alarms"] { config.alarms = reader.alarmSettings(alarms) }
                        if let hooks = reader.list(fields, "hooks") {
                            config.hooks = reader.hooks(hooks, historian: config.historian != nil, fields: fields)
                        }
                        let errorsBeforeMaps = reader.count
                        for map in reader.mapReferences(fields) {
                            config.devices += loadMap(map, names: &deviceNames, reader: &reader)
                            HeapTrim.releaseFreedMemory()
                        }
                        // After the maps: a rule names alarms and tags defined in them.
                        if let remediation = fields["remediation"] {
                            config.remediation = reader.remediation(
                                remediation, key: fields.keyNode("remediation"), config: config,
                                mapsClean: reader.count == errorsBeforeMaps)
                        }
                    }
                }
            }
        }
        HeapTrim.releaseFreedMemory()
        reader.warnAboutAlarmState(config)
        if !reader.hasErrors { reader.warnAboutUnmatchedGlobs(config) }
        return config
    }

    /// One map named by a gateway config; its problems are reported against its own path.
    private static func loadMap(
        _ map: MapReference, names: inout NameRegistry, reader: inout ConfigReader
    ) -> [DeviceConfig] {
        let configFile = reader.file
        defer { reader.file = configFile }
        reader.file = map.path
        switch compose(path: map.path, entry: map.entry, names: &names, reader: &reader) {
        case nil:
            return []
        case .deviceMap(let root, let devices)?:
            return reader.root(root, .deviceMap) != nil ? devices : []
        case .tree(let root)?:
            guard ConfigFileKind(root: root) == .deviceMap else {
                reader.error("'\(map.path)' is a gateway config, not a device map", at: map.entry)
                return []
            }
            guard let fields = reader.root(root, .deviceMap) else { return [] }
            return reader.deviceMap(fields, names: &names)
        }
    }

    /// A file composed: a device map with its devices decoded, or a node tree to decode.
    private enum ComposedFile {
        /// A device map whose devices were decoded one by one as the parser reached them
        /// (``YAMLStream``); `root` is the file's top level, its `devices:` list left empty.
        case deviceMap(root: Node, devices: [DeviceConfig])
        /// The whole file's tree, composed by Yams.
        case tree(Node)
    }

    /// Reads and composes `path`. A device map is decoded device by device while it is parsed,
    /// so that no more than one device's node tree is held at a time; any other file, or a map
    /// the streaming composer leaves to Yams (a YAML error among them), is composed whole by
    /// Yams, with what streaming had decoded and reported undone first.
    private static func compose(
        path: String, text: String? = nil, entry: SourceLocation? = nil, names: inout NameRegistry,
        reader: inout ConfigReader
    ) -> ComposedFile? {
        guard var contents = YAMLFile.contents(path: path, text: text, entry: entry, reader: &reader) else {
            return nil
        }
        let before = (reader: reader, names: names)
        var devices: [DeviceConfig] = []
        let outcome = contents.withUTF8 { bytes in
            YAMLStream.compose(bytes) { node in
                if let device = reader.device(node, names: &names) { devices.append(device) }
            }
        }
        if case .streamed(let root, _) = outcome { return .deviceMap(root: root, devices: devices) }
        reader = before.reader
        names = before.names
        devices = []
        return YAMLFile.compose(contents, path: path, reader: &reader).map(ComposedFile.tree)
    }
}
