import CYaml

/// Guards against YAML alias bombs ("billion laughs") before the file is composed.
///
/// Yams shares an aliased node rather than copying it, so composing costs no more memory, but
/// everything that walks the tree afterwards sees each alias expanded: Yams hashes every key to
/// find duplicates (an alias used as a key is hashed in full), and the decoders walk merge keys
/// and values. Nine levels of ten aliases each make a billion nodes from a few hundred bytes.
/// This pass counts, with libyaml's events, how many nodes the aliases add once expanded, and
/// stops at `limit`.
enum YAMLAliasBudget {
    /// Nodes that aliases may add: far more than any template-sharing map needs (a template of
    /// 20 keys used by 10,000 tags adds 400,000).
    static let limit = 1_000_000

    /// Where the aliases first exceed `limit`, or nil when they do not (or when the text is not
    /// valid YAML, which composing then reports with its own position).
    static func exceeded(in bytes: UnsafeBufferPointer<UInt8>, limit: Int = limit) -> YAMLFile.Position? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
        // The expanded size of each anchored node, and of each collection still open.
        var sizes: [String: Int] = [:]
        var open: [(anchor: String?, size: Int)] = []
        var added = 0
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
            defer { yaml_event_delete(&event) }
            var finished: (anchor: String?, size: Int)?
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return nil
            case YAML_SCALAR_EVENT:
                finished = (anchorName(event.data.scalar.anchor), 1)
            case YAML_SEQUENCE_START_EVENT:
                open.append((anchorName(event.data.sequence_start.anchor), 1))
            case YAML_MAPPING_START_EVENT:
                open.append((anchorName(event.data.mapping_start.anchor), 1))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                finished = open.popLast()
            case YAML_ALIAS_EVENT:
                let size = anchorName(event.data.alias.anchor).flatMap { sizes[$0] } ?? 1
                added = min(added + size, limit + 1)
                if added > limit {
                    return YAMLFile.Position(
                        line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
                }
                finished = (nil, size)
            default:
                break
            }
            if let finished {
                if let anchor = finished.anchor { sizes[anchor] = finished.size }
                if !open.isEmpty {
                    open[open.count - 1].size = min(open[open.count - 1].size + finished.size, limit + 1)
                }
            }
        }
    }

    private static func anchorName(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: UnsafePointer($0)) }
    }
}
