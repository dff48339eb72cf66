import KilnCore
import Yams

/// One configuration file read from disk and composed into a YAML node tree with marks.
enum YAMLFile {
    /// The file's root node, or nil after reporting why there is none (unreadable, not a
    /// regular file, too large, not UTF-8, empty, an alias bomb, or a YAML syntax error at its
    /// line and column).
    ///
    /// - Parameters:
    ///   - path: the file, as the diagnostics should name it.
    ///   - text: its contents when already in hand; read from `path` when nil.
    ///   - entry: the `devices:` entry that named the file, where problems with the file as a
    ///     whole (not a regular file, too large) are reported; its first line when nil.
    static func compose(
        path: String, text: String? = nil, entry: SourceLocation? = nil, reader: inout ConfigReader
    ) -> Node? {
        guard let contents = contents(path: path, text: text, entry: entry, reader: &reader) else { return nil }
        return compose(contents, path: path, reader: &reader)
    }

    /// The file's text, or nil after reporting why it cannot be composed (unreadable, not a
    /// regular file, too large, not UTF-8, an alias bomb or too many nodes).
    static func contents(
        path: String, text: String? = nil, entry: SourceLocation? = nil, reader: inout ConfigReader
    ) -> String? {
        let start = SourceLocation(file: path, line: 1, column: 1)
        var contents: String
        if let text {
            contents = text
        } else {
            switch readFile(path) {
            case .success(let text): contents = text
            case .failure(let problem):
                if let position = problem.position {
                    reader.error(
                        problem.message, at: SourceLocation(file: path, line: position.line, column: position.column))
                } else if let entry {
                    reader.error("cannot load '\(path)': \(problem.message)", at: entry)
                } else {
                    reader.error(problem.message, at: start)
                }
                return nil
            }
        }
        if contents.utf8.count > ConfigFileBytes.sizeLimit {
            let limit = ConfigFileBytes.sizeLimit / (1024 * 1024)
            reader.error("file is larger than \(limit) MB; config files are limited to \(limit) MB", at: start)
            return nil
        }
        if let problem = contents.withUTF8({ YAMLNodeBudget.exceeded(in: $0) }) {
            reader.error(
                problem.message,
                at: SourceLocation(file: path, line: problem.position.line, column: problem.position.column))
            return nil
        }
        return contents
    }

    /// `contents` composed by Yams into one node tree, or nil after reporting why there is none
    /// (empty, or a YAML error at its line and column).
    static func compose(_ contents: String, path: String, reader: inout ConfigReader) -> Node? {
        let start = SourceLocation(file: path, line: 1, column: 1)
        do {
            // The basic resolver leaves every scalar a string: the decoders read numbers, booleans
            // and nulls themselves, and Yams' regex-based resolver would otherwise run for every
            // key of every mapping in its duplicate-key check (most of the load time of a big map).
            guard let root = try Yams.compose(yaml: contents, .basic, .default, .utf8), !root.isNull else {
                reader.error("file is empty; expected a 'devices:' list", at: start)
                return nil
            }
            return root
        } catch let error as YamlError {
            let (message, position) = describe(error, in: contents)
            reader.error(message, at: SourceLocation(file: path, line: position.line, column: position.column))
            return nil
        } catch {
            reader.error("cannot parse YAML: \(error)", at: start)
            return nil
        }
    }

    // MARK: Reading

    struct ReadProblem: Error {
        var message: String
        var position: Position? = nil
    }

    /// The file's bytes as UTF-8 text, with the reason when it cannot be read (see
    /// `ConfigFileBytes` for the files that are refused).
    static func readFile(_ path: String) -> Result<String, ReadProblem> {
        let bytes: [UInt8]
        switch ConfigFileBytes.contents(of: path) {
        case .success(let read): bytes = read
        case .failure(let problem): return .failure(ReadProblem(message: problem.message))
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            // Decoding with repair marks the first bad byte with U+FFFD.
            let repaired = String(decoding: bytes, as: UTF8.self)
            let offset = repaired.firstIndex(of: "\u{FFFD}").map {
                repaired.distance(from: repaired.startIndex, to: $0)
            }
            return .failure(
                ReadProblem(
                    message: "file is not valid UTF-8 text",
                    position: offset.map { position(ofCharacter: $0, in: repaired) }))
        }
        return .success(text)
    }

    // MARK: YAML errors

    /// libyaml's message and the place it points at.
    static func describe(_ error: YamlError, in text: String) -> (String, Position) {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return (message, Position(mark))
        case .reader(let problem, let offset, _, _):
            let start = offset.map { position(ofCharacter: $0, in: text) } ?? Position()
            return ("invalid YAML: \(problem)", start)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? ""
            // Yams names a key that is a mapping or a list this way.
            let named =
                key == "<uncovertable>"
                ? "a mapping or list used as a key" : key.isEmpty ? "an empty key" : "key '\(ConfigReader.quoted(key))'"
            if let second = secondOccurrence(of: key, after: context.mark, in: text) {
                let first =
                    second.line == context.mark.line
                    ? "line \(context.mark.line), column \(context.mark.column)" : "line \(context.mark.line)"
                return ("duplicate key '\(ConfigReader.quoted(key))'; first at \(first)", second)
            }
            return ("\(named) appears more than once in this mapping", Position(context.mark))
        default:
            return ("invalid YAML: \(error)", Position())
        }
    }

    /// A 1-based line and column.
    struct Position: Equatable {
        var line = 1
        var column = 1

        init(line: Int = 1, column: Int = 1) {
            self.line = line
            self.column = column
        }

        init(_ mark: Mark) { self.init(line: mark.line, column: mark.column) }
    }

    private static func position(ofCharacter offset: Int, in text: String) -> Position {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return Position(line: line, column: column)
    }

    /// Yams names only the first of two equal keys. In block style the repeat sits in the same
    /// column further down, before the mapping's indentation ends; in flow style it follows on
    /// the same line. nil when neither is found, and the first is reported instead.
    static func secondOccurrence(of key: String, after first: Mark, in text: String) -> Position? {
        // An empty key (`"": 1`, `? : 1`) cannot be searched for; the first is reported instead.
        guard !key.isEmpty, !key.contains("\n") else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        let keyScalars = Array(key.unicodeScalars)
        func isKey(_ line: [Unicode.Scalar], at index: Int) -> Bool {
            guard index >= 0, index + keyScalars.count <= line.count,
                Array(line[index..<index + keyScalars.count]) == keyScalars
            else { return false }
            var rest = line[(index + keyScalars.count)...].drop { $0 == " " || $0 == "\t" }
            guard rest.first == ":" else { return false }
            rest = rest.dropFirst()
            return rest.first == nil || rest.first == " " || rest.first == "\t"
        }
        let firstLine = first.line - 1
        let column = first.column - 1
        guard firstLine >= 0, firstLine < lines.count, column >= 0 else { return nil }
        // Flow style: `{ a: 1, a: 2 }`.
        let sameLine = lines[firstLine]
        var index = max(1, column + keyScalars.count)
        while index < sameLine.count {
            let previous = sameLine[index - 1]
            if (previous == " " || previous == "{" || previous == ","), isKey(sameLine, at: index) {
                return Position(line: first.line, column: index + 1)
            }
            index += 1
        }
        // Block style: the same column on a later line.
        for lineIndex in lines.indices.dropFirst(firstLine + 1) {
            let line = lines[lineIndex]
            guard let indent = line.firstIndex(where: { $0 != " " }), line[indent] != "#" else { continue }
            if indent < column { return nil }
            if indent == column, isKey(line, at: column) { return Position(line: lineIndex + 1, column: column + 1) }
        }
        return nil
    }
}
