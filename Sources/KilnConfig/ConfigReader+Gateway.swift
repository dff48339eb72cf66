import KilnCore
import Yams

/// One device map a gateway config names, after globs are expanded.
struct MapReference: Equatable {
    /// The map's path, relative to the working directory like the config's own.
    var path: String
    /// The `devices:` entry that named it.
    var entry: SourceLocation
}

extension ConfigReader {
    /// The top level of a file must be a mapping; nil (reported) when it is not.
    mutating func root(_ node: Node, _ schema: MappingSchema) -> MappingFields? {
        guard node.mapping != nil else {
            error(
                "expected a mapping with a 'devices:' list at the top level, found \(node.describedForMessage)",
                at: node)
            return nil
        }
        return fields(node, schema)
    }

    /// The devices of a device map.
    mutating func deviceMap(_ fields: MappingFields, names: inout NameRegistry) -> [DeviceConfig] {
        guard let list = list(fields, "devices") else { return [] }
        if list.isEmpty, let node = fields["devices"] { error("'devices' lists no devices", at: node) }
        return list.compactMap { device($0, names: &names) }
    }

    /// `realtime:` of a gateway config.
    mutating func realtime(_ node: Node) -> RealtimeConfig {
        var realtime = RealtimeConfig()
        guard let fields = fields(node, .realtime) else { return realtime }
        let policy = fields.has("policy") ? choice(fields, "policy", SchedulingPolicy.self) : .other
        let priority = integer(fields, "priority", in: 1...99)
        switch policy {
        case .fifo?, .rr?:
            if !fields.has("priority") {
                error("realtime policy \(policy!) needs a 'priority' from 1 to 99", at: node)
            }
        case .other?:
            if let key = fields.keyNode("priority") {
                error("'priority' applies only to policy fifo or rr", at: key)
            }
        case nil:
            break
        }
        realtime.policy = policy ?? .other
        realtime.priority = priority ?? 0
        realtime.lockMemory = bool(fields, "lock_memory") ?? false
        return realtime
    }

    /// The most map files one gateway loads: each may hold up to 4 MB, so a stray glob such as
    /// `/*/*/*` must stop early rather than read a whole file system.
    static let mapFileLimit = 1_000

    /// The device maps a gateway config names: each entry a file or a glob relative to the
    /// config's folder, globs expanded in sorted order, each file once.
    mutating func mapReferences(_ fields: MappingFields) -> [MapReference] {
        guard let list = list(fields, "devices") else { return [] }
        if list.isEmpty, let node = fields["devices"] { error("'devices' lists no device map files", at: node) }
        var references: [MapReference] = []
        for node in list {
            guard let entry = node.scalar?.string, !node.isNull, !entry.isEmpty else {
                error("expected a device map file or glob, found \(node.describedForMessage)", at: node)
                continue
            }
            let resolved = FilePaths.resolve(entry, relativeTo: file)
            let lookedFor = resolved == FilePaths.normalize(entry) ? "" : " (looked for \(resolved))"
            var paths: [String] = []
            if FilePaths.isPattern(entry) {
                paths = FilePaths.expand(resolved)
                if paths.isEmpty { error("no files match '\(entry)'\(lookedFor)", at: node) }
            } else if FilePaths.isDirectory(resolved) {
                let pattern = entry.hasSuffix("/") ? entry + "*.yaml" : entry + "/*.yaml"
                error("'\(entry)' is a folder; to load the maps in it, write '\(pattern)'", at: node)
            } else if FilePaths.exists(resolved) {
                paths = [resolved]
            } else {
                error("device map '\(entry)' not found\(lookedFor)", at: node)
            }
            var seen = Set(references.map(\.path))
            for path in paths where !seen.contains(path) {
                guard references.count < Self.mapFileLimit else {
                    error(
                        "'\(Self.quoted(entry))' brings the gateway past \(Self.mapFileLimit) device map files; "
                            + "a gateway loads at most \(Self.mapFileLimit)",
                        at: node)
                    return references
                }
                seen.insert(path)
                references.append(MapReference(path: path, entry: location(of: node)))
            }
        }
        return references
    }
}
