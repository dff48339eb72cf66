import KilnCore
import Yams

/// Typed reads of scalar values. Each returns nil when the key is absent or its value is wrong,
/// and in the second case reports why, at the value.
extension ConfigReader {
    // MARK: Integers

    mutating func integer(_ fields: MappingFields, _ key: String, in range: ClosedRange<Int>) -> Int? {
        fields[key].flatMap { integer($0, key, in: range) }
    }

    /// A whole number written in decimal (leading zeros stay decimal, unlike YAML 1.1's octal) or
    /// in hex with `0x`.
    mutating func integer(_ node: Node, _ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = node.plainText else {
            error("expected an integer for '\(key)', found \(node.describedForMessage)", at: node)
            return nil
        }
        guard let value = Self.parseInteger(text) else {
            if Self.isIntegerSyntax(text) {
                // Well-formed, but beyond 64 bits.
                error("'\(key)' must be \(Self.describe(range)), found \(Self.quoted(text))", at: node)
            } else if Double(text) != nil {
                error("'\(key)' must be a whole number, found \(Self.quoted(text))", at: node)
            } else {
                error("expected an integer for '\(key)', found \(node.describedForMessage)", at: node)
            }
            return nil
        }
        guard range.contains(value) else {
            error("'\(key)' must be \(Self.describe(range)), found \(Self.quoted(text))", at: node)
            return nil
        }
        return value
    }

    /// Digits with an optional sign and `0x`, whatever their count.
    static func isIntegerSyntax(_ text: String) -> Bool {
        var digits = Substring(text)
        if let sign = digits.first, sign == "-" || sign == "+" { digits = digits.dropFirst() }
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            digits = digits.dropFirst(2)
            return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isHexDigit }
        }
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func parseInteger(_ text: String) -> Int? {
        var digits = Substring(text)
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            radix = 16
            digits = digits.dropFirst(2)
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit && (radix == 16 || $0.isNumber) }),
            let magnitude = Int(digits, radix: radix)
        else { return nil }
        return negative ? -magnitude : magnitude
    }

    static func describe(_ range: ClosedRange<Int>) -> String {
        range.upperBound == .max ? "at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
    }

    // MARK: Numbers

    mutating func number(_ fields: MappingFields, _ key: String, in range: ClosedRange<Double>) -> Double? {
        fields[key].flatMap { number($0, key, in: range) }
    }

    /// A finite number, integer or decimal, within `range` (the message names the range when
    /// it is not).
    mutating func number(_ node: Node, _ key: String, in range: ClosedRange<Double>) -> Double? {
        guard let text = node.plainText, let value = Self.parseNumber(text) else {
            error("expected a number for '\(key)', found \(node.describedForMessage)", at: node)
            return nil
        }
        guard value.isFinite else {
            error("'\(key)' must be a finite number \(Self.describe(range)), found \(Self.quoted(text))", at: node)
            return nil
        }
        guard range.contains(value) else {
            error("'\(key)' must be \(Self.describe(range)), found \(Self.quoted(text))", at: node)
            return nil
        }
        return value
    }

    /// `from -1e9 to 1e9`.
    static func describe(_ range: ClosedRange<Double>) -> String {
        "from \(compact(range.lowerBound)) to \(compact(range.upperBound))"
    }

    /// Powers of ten from a million up as `1e9`, other numbers as `Value.format` writes them.
    private static func compact(_ bound: Double) -> String {
        var exponent = 6
        var power = 1e6
        while power <= abs(bound), exponent < 300 {
            if power == abs(bound) { return (bound < 0 ? "-" : "") + "1e\(exponent)" }
            exponent += 1
            power *= 10
        }
        return Value.format(bound)
    }

    static func parseNumber(_ text: String) -> Double? {
        switch text.lowercased() {
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        case ".nan": return .nan
        default: return parseInteger(text).map(Double.init) ?? Double(text)
        }
    }

    // MARK: Text and booleans

    mutating func text(_ fields: MappingFields, _ key: String) -> String? {
        fields[key].flatMap { text($0, key) }
    }

    /// Any non-empty scalar, as written.
    mutating func text(_ node: Node, _ key: String) -> String? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            error("expected text for '\(key)', found \(node.describedForMessage)", at: node)
            return nil
        }
        guard !scalar.string.isEmpty else {
            error("'\(key)' is empty", at: node)
            return nil
        }
        return scalar.string
    }

    mutating func bool(_ fields: MappingFields, _ key: String) -> Bool? {
        fields[key].flatMap { bool($0, key) }
    }

    mutating func bool(_ node: Node, _ key: String) -> Bool? {
        guard let text = node.plainText, let value = Node.booleans[text] else {
            error("expected true or false for '\(key)', found \(node.describedForMessage)", at: node)
            return nil
        }
        return value
    }

    // MARK: Choices

    /// One of a fixed set of words (register kinds, types, policies), with a hint when the word
    /// is a near miss.
    mutating func choice<T>(
        _ fields: MappingFields, _ key: String, _ options: [(name: String, value: T)]
    ) -> T? {
        guard let node = fields[key] else { return nil }
        let names = options.map(\.name)
        guard let text = node.plainText else {
            error("expected one of \(Self.list(names)) for '\(key)', found \(node.describedForMessage)", at: node)
            return nil
        }
        if let match = options.first(where: { $0.name == text }) { return match.value }
        let hint =
            Suggestion.nearest(to: text, in: names).map { "did you mean '\($0)'?" } ?? "expected \(Self.list(names))"
        error("unknown \(key) '\(Self.quoted(text))'; \(hint)", at: node)
        return nil
    }

    mutating func choice<T: CaseIterable & RawRepresentable<String>>(
        _ fields: MappingFields, _ key: String, _ type: T.Type
    ) -> T? {
        choice(fields, key, T.allCases.map { ($0.rawValue, $0) })
    }

    /// `a, b, c or d`.
    static func list(_ names: [String]) -> String {
        guard names.count > 1 else { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    // MARK: Lists

    /// A YAML list (nothing at all reads as an empty list).
    mutating func list(_ fields: MappingFields, _ key: String) -> [Node]? {
        guard let node = fields[key] else { return nil }
        if case .sequence(let sequence) = node { return Array(sequence) }
        if node.isNull { return [] }
        error("expected a list for '\(key)', found \(node.describedForMessage)", at: node)
        return nil
    }
}

extension Node {
    /// The text of an unquoted scalar: numbers, booleans and words are written this way.
    var plainText: String? {
        guard case .scalar(let scalar) = self, scalar.style == .plain || scalar.style == .any,
            !scalar.string.isEmpty
        else { return nil }
        return scalar.string
    }

    /// A plain `~`, `null` or nothing at all (YAML's null), checked without Yams' regex resolver,
    /// which is slow on maps of many thousand tags.
    var isNull: Bool {
        guard case .scalar(let scalar) = self, scalar.style == .plain || scalar.style == .any else { return false }
        return Self.nulls.contains(scalar.string)
    }

    static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]

    /// YAML 1.1's boolean words, as Yams resolves them.
    static let booleans: [String: Bool] = [
        "true": true, "True": true, "TRUE": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true,
        "ON": true, "false": false, "False": false, "FALSE": false, "no": false, "No": false, "NO": false,
        "off": false, "Off": false, "OFF": false,
    ]
}
