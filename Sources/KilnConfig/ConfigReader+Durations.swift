import KilnCore
import Yams

extension ConfigReader {
    /// Spellings engineers reach for that mean one of the accepted units.
    private static let unitSynonyms: [String: String] = [
        "msec": "ms", "msecs": "ms", "millis": "ms", "millisecond": "ms", "milliseconds": "ms",
        "sec": "s", "secs": "s", "second": "s", "seconds": "s",
        "min": "m", "mins": "m", "minute": "m", "minutes": "m",
        "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
        "day": "d", "days": "d",
    ]

    mutating func duration(_ fields: MappingFields, _ key: String, in range: ClosedRange<Duration>) -> Duration? {
        fields[key].flatMap { duration($0, key, in: range) }
    }

    /// A number followed by `ms`, `s`, `m`, `h` or `d`, with no space between (`500ms`, `1.5s`),
    /// within `range` (the message names the range when it is not).
    mutating func duration(_ node: Node, _ key: String, in range: ClosedRange<Duration>) -> Duration? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            error("expected a duration for '\(key)' (e.g. 500ms, 1s), found \(node.describedForMessage)", at: node)
            return nil
        }
        let text = scalar.string
        let value: Duration
        switch DurationText.read(text) {
        case .duration(let duration): value = duration
        case .tooLong:
            error("'\(key)' must be \(DurationLimits.describe(range)), found \(Self.quoted(text))", at: node)
            return nil
        case .invalid:
            error(Self.durationProblem(text, key: key, range: range), at: node)
            return nil
        }
        if range.lowerBound > .zero, value <= .zero {
            error("'\(key)' must be longer than zero (\(DurationLimits.describe(range))), found \(text)", at: node)
            return nil
        }
        guard range.contains(value) else {
            error("'\(key)' must be \(DurationLimits.describe(range)), found \(Self.quoted(text))", at: node)
            return nil
        }
        return value
    }

    /// A value as a message quotes it: long ones cut short, so a mutated file's megabyte of digits
    /// does not become a megabyte of message.
    static func quoted(_ text: String) -> String {
        text.count <= 40 ? text : String(text.prefix(37)) + "..."
    }

    private static func durationProblem(_ text: String, key: String, range: ClosedRange<Duration>) -> String {
        let units = "ms, s, m, h or d"
        if text.hasPrefix("-"), DurationText.parse(String(text.dropFirst())) != nil {
            return "'\(key)' must not be negative; it must be \(DurationLimits.describe(range)), found \(quoted(text))"
        }
        if Double(text) != nil { return "duration '\(quoted(text))' needs a unit: \(units)" }
        let digits = text.prefix { $0.isNumber || $0 == "." }
        let unit = String(text.dropFirst(digits.count)).trimmingWhitespace().lowercased()
        if !digits.isEmpty, Double(digits) != nil {
            if DurationText.units.contains(unit) {
                return "invalid duration '\(quoted(text))'; write it without a space: '\(quoted(digits + unit))'"
            }
            if let synonym = unitSynonyms[unit] {
                return "invalid duration '\(quoted(text))'; did you mean '\(quoted(digits + synonym))'?"
            }
        }
        return "invalid duration '\(quoted(text))'; expected a number and a unit (\(units)), e.g. 500ms or 1s"
    }
}
