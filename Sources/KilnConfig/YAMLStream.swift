import CYaml
import Yams

/// Composes a device map from libyaml's events, handing each entry of its top-level `devices:`
/// list to a callback as soon as the entry is complete, and keeping none of them.
///
/// `Yams.compose` builds the whole file's node tree first: for a map of 1,000 devices × 20 tags
/// that tree peaks near 45 MB, which the gateway then carries as its high-water mark for life.
/// Decoded one entry at a time, a map costs one device's tree (tens of kB) beyond its decoded
/// values.
///
/// The nodes are the ones `Yams.compose(yaml:, .basic)` makes (same strings, styles, marks and
/// anchors), so the decoders and their FILE:LINE:COLUMN messages are unchanged. Anything this
/// composer does not reproduce exactly gives ``Outcome/unsupported``, and the caller composes
/// the file with Yams instead, which reports it with Yams' own message: a YAML syntax error, an
/// undefined alias, an explicit tag (`!!str`), several documents, two equal keys in a mapping
/// (Yams decides whether they are duplicates), an anchor on the `devices:` list itself, or
/// nesting deeper than `depthLimit`.
/// A file whose `devices:` lists no mapping (a gateway config's file names) is not streamed
/// either: such files are small.
struct YAMLStream {
    enum Outcome {
        /// A device map: every `devices:` entry went to the callback. The root mapping is
        /// complete except for that list, which is empty.
        case streamed(root: Node, entries: Int)
        /// Not a device map with mapping entries, or not something this composer reproduces:
        /// compose the file with Yams.
        case unsupported
    }

    private struct Unsupported: Error {}

    /// One libyaml event, copied out before the event is freed.
    private struct Event {
        var type: yaml_event_type_t
        var mark: Mark
        var anchor: String?
        var value = ""
        var style: UInt32 = 0
        var quoted = false
    }

    private var parser = yaml_parser_t()
    private var anchors: [String: Node] = [:]
    /// Collections open around the node being composed.
    private var depth = 0
    /// Deeper nesting goes to Yams: no map needs more than a dozen levels, and each level is a
    /// stack frame here (libyaml's own limit, 1,000, is Yams' to report).
    static let depthLimit = 64

    /// What `Yams.compose(yaml:, .basic, .default)` gives its parser (`Constructor.default` is
    /// built anew at each use: taken once here).
    private let resolver = Resolver.basic
    private let constructor = Constructor.default
    /// A node's tag, as Yams' Parser gives it: a new instance each (a tag resolves in place).
    private var implicitTag: Tag { Tag(.implicit, resolver, constructor) }
    private var stringTag: Tag { Tag(.str, resolver, constructor) }

    /// Composes `bytes` (UTF-8), calling `entry` with each node of the root's `devices:` list.
    static func compose(_ bytes: UnsafeBufferPointer<UInt8>, entry: (Node) -> Void) -> Outcome {
        var stream = YAMLStream()
        guard yaml_parser_initialize(&stream.parser) == 1 else { return .unsupported }
        defer { yaml_parser_delete(&stream.parser) }
        yaml_parser_set_encoding(&stream.parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&stream.parser, bytes.baseAddress, bytes.count)
        do {
            return try stream.document(entry: entry)
        } catch {
            return .unsupported
        }
    }

    private mutating func document(entry: (Node) -> Void) throws(Unsupported) -> Outcome {
        guard try next().type == YAML_STREAM_START_EVENT, try next().type == YAML_DOCUMENT_START_EVENT else {
            throw Unsupported()
        }
        let first = try next()
        guard first.type == YAML_MAPPING_START_EVENT else { return .unsupported }
        var pairs: [(Node, Node)] = []
        var keys: Set<String> = []
        var streamed: Int?
        var event = try next()
        while event.type != YAML_MAPPING_END_EVENT {
            let key = try node(from: event)
            try checkKey(key, in: &keys)
            event = try next()
            if key.scalar?.string == "devices", event.type == YAML_SEQUENCE_START_EVENT {
                guard event.anchor == nil else { throw Unsupported() }
                let (list, count) = try devices(from: event, entry: entry)
                guard let count else { return .unsupported }
                streamed = count
                pairs.append((key, list))
            } else {
                pairs.append((key, try node(from: event)))
            }
            event = try next()
        }
        let root = Node.mapping(Node.Mapping(pairs, implicitTag, mappingStyle(first), first.mark, nil))
        register(first.anchor, root)
        guard try next().type == YAML_DOCUMENT_END_EVENT, try next().type == YAML_STREAM_END_EVENT else {
            throw Unsupported()
        }
        guard let streamed else { return .unsupported }
        return .streamed(root: root, entries: streamed)
    }

    /// The root's `devices:` list. Entries before the first that is not null are held back
    /// until it comes: when it is a mapping this is a device map, and every entry goes to
    /// `entry` (count non-nil); otherwise a gateway config's list, and nothing is streamed.
    private mutating func devices(
        from start: Event, entry: (Node) -> Void
    ) throws(Unsupported) -> (Node, Int?) {
        var held: [Node] = []
        var streaming = false
        var count = 0
        var event = try next()
        while event.type != YAML_SEQUENCE_END_EVENT {
            let item = try node(from: event)
            if streaming {
                entry(item)
                count += 1
            } else if item.isNull {
                held.append(item)
            } else if item.mapping != nil {
                streaming = true
                for earlier in held { entry(earlier) }
                count = held.count + 1
                held = []
                entry(item)
            } else {
                return (Node(""), nil)
            }
            event = try next()
        }
        let list = Node.sequence(Node.Sequence([], implicitTag, sequenceStyle(start), start.mark, nil))
        return (list, streaming ? count : nil)
    }

    // MARK: Nodes, as Yams' Parser composes them

    private mutating func node(from event: Event) throws(Unsupported) -> Node {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.depthLimit else { throw Unsupported() }
        switch event.type {
        case YAML_ALIAS_EVENT:
            guard let name = event.anchor, let node = anchors[name] else { throw Unsupported() }
            return node
        case YAML_SCALAR_EVENT:
            let style = Node.Scalar.Style(rawValue: event.style) ?? .any
            let node = Node.scalar(
                Node.Scalar(event.value, event.quoted ? stringTag : implicitTag, style, event.mark, nil))
            register(event.anchor, node)
            return node
        case YAML_SEQUENCE_START_EVENT:
            var nodes: [Node] = []
            var next = try self.next()
            while next.type != YAML_SEQUENCE_END_EVENT {
                nodes.append(try node(from: next))
                next = try self.next()
            }
            let node = Node.sequence(Node.Sequence(nodes, implicitTag, sequenceStyle(event), event.mark, nil))
            register(event.anchor, node)
            return node
        case YAML_MAPPING_START_EVENT:
            var pairs: [(Node, Node)] = []
            var keys: Set<String> = []
            var next = try self.next()
            while next.type != YAML_MAPPING_END_EVENT {
                let key = try node(from: next)
                try checkKey(key, in: &keys)
                pairs.append((key, try node(from: try self.next())))
                next = try self.next()
            }
            let node = Node.mapping(Node.Mapping(pairs, implicitTag, mappingStyle(event), event.mark, nil))
            register(event.anchor, node)
            return node
        default:
            throw Unsupported()
        }
    }

    /// Yams refuses duplicate keys by its own node equality; any doubt goes to Yams.
    private func checkKey(_ key: Node, in keys: inout Set<String>) throws(Unsupported) {
        guard case .scalar(let scalar) = key, keys.insert(scalar.string).inserted else { throw Unsupported() }
    }

    /// Yams keeps the latest node of an anchor name (anchors may be redefined).
    private mutating func register(_ anchor: String?, _ node: Node) {
        if let anchor { anchors[anchor] = node }
    }

    /// Yams' Parser reads a collection's style from its end event, which carries none: `.any`.
    private func sequenceStyle(_ event: Event) -> Node.Sequence.Style { .any }

    private func mappingStyle(_ event: Event) -> Node.Mapping.Style { .any }

    // MARK: Events

    /// The next event; an error, or a tag written in the file, is unsupported.
    private mutating func next() throws(Unsupported) -> Event {
        var raw = yaml_event_t()
        guard yaml_parser_parse(&parser, &raw) == 1 else { throw Unsupported() }
        defer { yaml_event_delete(&raw) }
        var event = Event(type: raw.type, mark: .at(raw.start_mark))
        switch raw.type {
        case YAML_ALIAS_EVENT:
            event.anchor = Self.string(raw.data.alias.anchor)
        case YAML_SCALAR_EVENT:
            let scalar = raw.data.scalar
            guard scalar.tag == nil else { throw Unsupported() }
            event.anchor = Self.string(scalar.anchor)
            event.value = String(
                decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            event.style = UInt32(scalar.style.rawValue)
            event.quoted = scalar.quoted_implicit == 1
        case YAML_SEQUENCE_START_EVENT:
            let start = raw.data.sequence_start
            guard start.implicit != 0 else { throw Unsupported() }
            event.anchor = Self.string(start.anchor)
            event.style = UInt32(start.style.rawValue)
        case YAML_MAPPING_START_EVENT:
            let start = raw.data.mapping_start
            guard start.implicit != 0 else { throw Unsupported() }
            event.anchor = Self.string(start.anchor)
            event.style = UInt32(start.style.rawValue)
        default:
            break
        }
        return event
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: UnsafePointer($0)) }
    }
}

extension Mark {
    /// A mark at libyaml's 0-based position, 1-based as Yams' Parser makes it.
    ///
    /// Yams gives `Mark` no public initializer. It is a frozen-layout struct of two `Int`s,
    /// `line` then `column` (Yams is built without library evolution), so a pair of the same
    /// layout is reinterpreted; YAMLStreamTests checks that the fields land where expected.
    static func at(_ mark: yaml_mark_t) -> Mark {
        at(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    static func at(line: Int, column: Int) -> Mark {
        unsafeBitCast((line, column), to: Mark.self)
    }
}
