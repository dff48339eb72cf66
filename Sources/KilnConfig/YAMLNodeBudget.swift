import CYaml

/// Guards against YAML alias bombs ("billion laughs") and files of too many nodes, before the
/// file is composed.
///
/// Yams shares an aliased node rather than copying it, so composing costs no more memory, but
/// everything that walks the tree afterwards sees each alias expanded: Yams hashes every key to
/// find duplicates (an alias used as a key is hashed in full), and the decoders walk merge keys
/// and values. Nine levels of ten aliases each make a billion nodes from a few hundred bytes.
/// This pass counts, with libyaml's events, how many nodes the aliases add once expanded, and
/// stops at `limit`.
enum YAMLNodeBudget {
    /// Nodes that aliases may add: far more than any template-sharing map needs (a template of
    /// 20 keys used by 10,000 tags adds 400,000).
    static let limit = 1_000_000

    /// Nodes written in the file. Yams keeps up to about 170 bytes per node at its peak, so
    /// 750,000 nodes stay near 140 MB whatever their shape; the 4 MB size limit alone allows two
    /// million (`[1,1,1,...]`). A map of 50,000 tags in flow style has about 450,000.
    static let nodeLimit = 750_000

    /// Keys in one mapping. Yams groups every mapping's keys in a dictionary to find duplicates,
    /// which costs about 400 bytes a key at its peak; no mapping of a config has more than a
    /// few dozen keys (lists hold the many devices and tags).
    static let mappingKeyLimit = 10_000

    /// What is over budget, and where.
    struct Problem: Equatable {
        var message: String
        var position: YAMLFile.Position
    }

    /// Where the file first exceeds `nodeLimit` nodes or its aliases `limit` extra nodes, or
    /// nil when it does not (or when the text is not valid YAML, which composing then reports
    /// with its own position).
    static func exceeded(
        in bytes: UnsafeBufferPointer<UInt8>, limit: Int = limit, nodeLimit: Int = nodeLimit
    ) -> Problem? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
        // The expanded size of each anchored node, and of each collection still open.
        var sizes: [String: Int] = [:]
        var open: [(anchor: String?, size: Int, mapping: Bool, children: Int)] = []
        var added = 0
        var nodes = 0
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
            defer { yaml_event_delete(&event) }
            var finished: (anchor: String?, size: Int)?
            let position = YAMLFile.Position(
                line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            if [YAML_SCALAR_EVENT, YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT].contains(event.type) {
                nodes += 1
                if nodes > nodeLimit {
                    return Problem(
                        message: "the file holds more than \(nodeLimit) YAML nodes; config files are limited to "
                            + "\(nodeLimit) (split a big plant into several maps listed under 'devices:')",
                        position: position)
                }
            }
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return nil
            case YAML_SCALAR_EVENT:
                finished = (anchorName(event.data.scalar.anchor), 1)
            case YAML_SEQUENCE_START_EVENT:
                open.append((anchorName(event.data.sequence_start.anchor), 1, false, 0))
            case YAML_MAPPING_START_EVENT:
                open.append((anchorName(event.data.mapping_start.anchor), 1, true, 0))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                finished = open.popLast().map { ($0.anchor, $0.size) }
            case YAML_ALIAS_EVENT:
                let size = anchorName(event.data.alias.anchor).flatMap { sizes[$0] } ?? 1
                added = min(added + size, limit + 1)
                if added > limit {
                    return Problem(
                        message: "aliases here expand the file to more than \(limit) extra nodes "
                            + "(a YAML alias bomb?); share fewer or smaller templates",
                        position: position)
                }
                finished = (nil, size)
            default:
                break
            }
            if let finished {
                if let anchor = finished.anchor { sizes[anchor] = finished.size }
                if !open.isEmpty {
                    let parent = open.count - 1
                    open[parent].size = min(open[parent].size + finished.size, limit + 1)
                    open[parent].children += 1
                    if open[parent].mapping, open[parent].children > 2 * mappingKeyLimit {
                        return Problem(
                            message: "a mapping with more than \(mappingKeyLimit) keys; "
                                + "config mappings are limited to \(mappingKeyLimit) keys",
                            position: position)
                    }
                }
            }
        }
    }

    private static func anchorName(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: UnsafePointer($0)) }
    }
}
