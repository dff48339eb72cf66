/// A rule's remote argv with placeholders: `{device}`, `{tag}`, `{alarm}`, `{value}` and
/// `{episode}` are replaced inside each element; `{{` and `}}` stand for literal braces.
///
/// Filling in never changes the number of elements: a value with spaces, quotes, `;`, `$()` or
/// newlines stays inside its element, and ``RemoteShell`` quotes each element for the shell on
/// the far side of ssh.
public enum CommandTemplate {
    /// The placeholders a rule's command may use.
    public static let placeholders = ["device", "tag", "alarm", "value", "episode"]

    /// What is wrong with an element, for `kiln check`.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// Offset of the offending character in the element (UTF-8 bytes).
        public var offset: Int
        public var description: String
    }

    private enum Piece {
        case text(String)
        case placeholder(String)
    }

    private static func pieces(_ element: String) throws(Problem) -> [Piece] {
        var out: [Piece] = []
        var text = ""
        let bytes = Array(element.utf8)
        var i = 0
        func flush() {
            if !text.isEmpty { out.append(.text(text)) }
            text = ""
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "{") {
                if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "{") {
                    text += "{"
                    i += 2
                    continue
                }
                guard let close = bytes[(i + 1)...].firstIndex(of: UInt8(ascii: "}")) else {
                    throw Problem(offset: i, description: "an unclosed `{` (write `{{` for a literal brace)")
                }
                let name = String(decoding: bytes[(i + 1)..<close], as: UTF8.self)
                guard placeholders.contains(name) else {
                    throw Problem(
                        offset: i,
                        description:
                            "unknown placeholder {\(name)}; known: \(placeholders.map { "{\($0)}" }.joined(separator: ", ")) (write `{{` for a literal brace)"
                    )
                }
                flush()
                out.append(.placeholder(name))
                i = close + 1
            } else if b == UInt8(ascii: "}") {
                guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "}") else {
                    throw Problem(offset: i, description: "a lone `}` (write `}}` for a literal brace)")
                }
                text += "}"
                i += 2
            } else {
                // Copy a run of plain bytes at once (keeps multi-byte characters whole).
                var j = i
                while j < bytes.count, bytes[j] != UInt8(ascii: "{"), bytes[j] != UInt8(ascii: "}") { j += 1 }
                text += String(decoding: bytes[i..<j], as: UTF8.self)
                i = j
            }
        }
        flush()
        return out
    }

    /// Checks one element: placeholders known, braces balanced, no NUL byte.
    public static func validate(_ element: String) throws(Problem) {
        if let nul = Array(element.utf8).firstIndex(of: 0) {
            throw Problem(offset: nul, description: "a NUL byte cannot be part of an argument")
        }
        _ = try pieces(element)
    }

    /// Fills `values` in (a placeholder without a value becomes empty). Throws for an element
    /// that does not validate or a value with a NUL byte (argv cannot carry it).
    public static func render(_ command: [String], values: [String: String]) throws(Problem) -> [String] {
        var out: [String] = []
        out.reserveCapacity(command.count)
        for element in command {
            try validate(element)
            var s = ""
            for piece in try pieces(element) {
                switch piece {
                case .text(let t): s += t
                case .placeholder(let name):
                    let v = values[name] ?? ""
                    if let nul = Array(v.utf8).firstIndex(of: 0) {
                        throw Problem(offset: nul, description: "the value of {\(name)} has a NUL byte")
                    }
                    s += v
                }
            }
            out.append(s)
        }
        return out
    }
}

/// Quoting for the POSIX shell on the far side of ssh, which joins its arguments with spaces
/// into one command line: each element is single-quoted (a `'` inside becomes `'\''`), so the
/// remote shell sees exactly the elements Kiln rendered, whatever they contain. The remote
/// account's login shell must be a POSIX shell (sh, dash, bash).
public enum RemoteShell {
    public static func quote(_ argument: String) -> String {
        "'" + argument.replacing("'", with: #"'\''"#) + "'"
    }

    /// The one string ssh sends as the remote command.
    public static func commandLine(_ argv: [String]) -> String {
        argv.map(quote).joined(separator: " ")
    }
}
