import KilnCore

/// Names seen so far in one scope (tags of a device, devices of a gateway), to report a
/// duplicate at the second use with the place of the first.
struct NameRegistry {
    private var first: [String: SourceLocation] = [:]

    /// Records `name` at `location`; returns where it was first defined when it is a duplicate.
    mutating func claim(_ name: String, at location: SourceLocation) -> SourceLocation? {
        if let earlier = first[name] { return earlier }
        first[name] = location
        return nil
    }
}

/// The characters a name may use, and how to suggest a valid one.
enum NamePattern {
    /// Device names: `[a-z0-9_-]+`.
    case device
    /// Tag names: `[a-z0-9_]+`; alarm names too.
    case tag
    /// Hook names: `[A-Za-z0-9_-]+` (they name outboxes and metric labels).
    case hook

    var description: String {
        switch self {
        case .device: "a-z, 0-9, '_' and '-'"
        case .tag: "a-z, 0-9 and '_'"
        case .hook: "A-Z, a-z, 0-9, '_' and '-'"
        }
    }

    func allows(_ character: Character) -> Bool {
        guard character.isASCII else { return false }
        if self == .hook { return character.isLetter || character.isNumber || character == "_" || character == "-" }
        return character.isLowercase || character.isNumber || character == "_" || (self == .device && character == "-")
    }

    func matches(_ name: String) -> Bool { !name.isEmpty && name.allSatisfy(allows) }

    /// `Boiler 1` → `boiler-1` (device) or `boiler_1` (tag); nil when nothing usable is left.
    func suggestion(for name: String) -> String? {
        let separator: Character = self == .tag ? "_" : "-"
        var result = ""
        for character in self == .hook ? name : name.lowercased() {
            if allows(character) {
                result.append(character)
            } else if character == " " || character == "-" || character == "." || character == "/" {
                result.append(separator)
            }
        }
        return matches(result) && result != name ? result : nil
    }
}

extension ConfigReader {
    /// A name matching `pattern`, with a corrected spelling as the hint when there is one.
    mutating func validName(_ fields: MappingFields, _ key: String, _ pattern: NamePattern, what: String) -> String? {
        guard let node = fields[key], let text = text(node, key) else { return nil }
        guard pattern.matches(text) else {
            let hint = pattern.suggestion(for: text).map { "; did you mean '\($0)'?" } ?? ""
            error("\(what) name '\(Self.quoted(text))' may use only \(pattern.description)\(hint)", at: node)
            return nil
        }
        return text
    }
}
