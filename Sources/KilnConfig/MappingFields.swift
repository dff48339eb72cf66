import Yams

/// A YAML mapping checked against its schema: unknown keys and missing required keys are
/// reported once, here, and the decoders then read values by key.
///
/// Merge keys (`<<: *defaults`) are expanded, so engineers can share a tag template through an
/// anchor; keys written in the mapping itself win over merged ones. Keys starting with `x-` are
/// extension fields, ignored everywhere (as in Compose files): a place to keep such templates.
struct MappingFields {
    /// The mapping node itself; its mark is where "missing key" errors point.
    let node: Node
    let schema: MappingSchema
    private let entries: [String: (key: Node, value: Node)]

    /// Checks `node` against `schema`; nil (with an error reported) when it is not a mapping.
    init?(_ node: Node, schema: MappingSchema, reader: inout ConfigReader) {
        guard case .mapping(let mapping) = node else {
            let article = schema.name.first.map { "aeiou".contains($0) } == true ? "an" : "a"
            reader.error("expected \(article) \(schema.name) mapping, found \(node.describedForMessage)", at: node)
            return nil
        }
        self.node = node
        self.schema = schema
        entries = Self.entries(of: mapping, schema: schema, reader: &reader)
        // An unknown key that is a near miss of a missing required key is reported once, as the
        // typo it is, rather than also as the missing key.
        let known = Set(schema.keys)
        let unknown = entries.filter { !known.contains($0.key) && !$0.key.hasPrefix("x-") }
        var misspelt: Set<String> = []
        for (name, entry) in unknown.sorted(by: { $0.key < $1.key }) {
            let nearest = Suggestion.nearest(to: name, in: schema.keys)
            if let nearest { misspelt.insert(nearest) }
            let hint =
                nearest.map { "did you mean '\($0)'?" } ?? "expected one of: \(schema.keys.joined(separator: ", "))"
            reader.error("unknown key '\(ConfigReader.quoted(name))' in \(schema.name); \(hint)", at: entry.key)
        }
        for name in schema.keys where schema.required.contains(name) && entries[name] == nil && !misspelt.contains(name)
        {
            reader.error("\(subject) is missing required key '\(name)'", at: node)
        }
    }

    /// The mapping's keys with `<<` merges applied: keys written in the mapping win, then earlier
    /// merge sources over later ones (YAML's merge key rules).
    private static func entries(
        of mapping: Node.Mapping, schema: MappingSchema, reader: inout ConfigReader
    ) -> [String: (key: Node, value: Node)] {
        var own: [String: (key: Node, value: Node)] = [:]
        var merged: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                reader.error(
                    "a key in \(schema.name) must be a plain word, found \(key.describedForMessage)", at: key)
                continue
            }
            guard key.isMergeKey else {
                own[scalar.string] = (key, value)
                continue
            }
            for source in value.sequence.map(Array.init) ?? [value] {
                guard case .mapping(let inner) = source else {
                    reader.error("'<<' merges mappings, found \(source.describedForMessage)", at: source)
                    continue
                }
                let innerEntries = entries(of: inner, schema: schema, reader: &reader)
                merged.merge(innerEntries) { earlier, _ in earlier }
            }
        }
        if merged.isEmpty { return own }
        return merged.merging(own) { _, explicit in explicit }
    }

    /// `tag 'supply_temp'` when the mapping has a usable name, else just `tag`.
    var subject: String {
        if let name = entries["name"]?.value.scalar?.string, !name.isEmpty { return "\(schema.name) '\(name)'" }
        return schema.name
    }

    /// The value written for `key`, if any.
    subscript(key: String) -> Node? { entries[key]?.value }

    /// The key node itself, where "this key does not apply" errors point.
    func keyNode(_ key: String) -> Node? { entries[key]?.key }

    func has(_ key: String) -> Bool { entries[key] != nil }
}

extension Node {
    /// `<<` written plainly: a YAML merge key.
    var isMergeKey: Bool {
        guard case .scalar(let scalar) = self, scalar.style == .plain || scalar.style == .any else { return false }
        return scalar.string == "<<"
    }

    /// How a message names a value that has the wrong shape: `'abc'`, `the quoted string "100"`,
    /// `a list`.
    var describedForMessage: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch scalar.style {
            case .singleQuoted, .doubleQuoted: return "the quoted string \"\(ConfigReader.quoted(scalar.string))\""
            case .literal, .folded: return "a block of text"
            default:
                if isNull { return "nothing" }
                return "'\(ConfigReader.quoted(scalar.string))'"
            }
        }
    }
}
