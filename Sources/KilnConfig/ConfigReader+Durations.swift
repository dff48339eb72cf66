import Foundation
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

    mutating func duration(_ fields: MappingFields, _ key: String, allowZero: Bool = false) -> Duration? {
        fields[key].flatMap { duration($0, key, allowZero: allowZero) }
    }

    /// A number followed by `ms`, `s`, `m`, `h` or `d`, with no space between (`500ms`, `1.5s`).
    mutating func duration(_ node: Node, _ key: String, allowZero: Bool = false) -> Duration? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            error("expected a duration for '\(key)' (e.g. 500ms, 1s), found \(node.describedForMessage)", at: node)
            return nil
        }
        let text = scalar.string
        guard let value = DurationText.parse(text) else {
            error(Self.durationProblem(text), at: node)
            return nil
        }
        if !allowZero, value <= .zero {
            error("'\(key)' must be longer than zero, found \(text)", at: node)
            return nil
        }
        return value
    }

    private static func durationProblem(_ text: String) -> String {
        let units = "ms, s, m, h or d"
        if Double(text) != nil { return "duration '\(text)' needs a unit: \(units)" }
        let digits = text.prefix { $0.isNumber || $0 == "." }
        let unit = text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        if !digits.isEmpty, Double(digits) != nil {
            if DurationText.units.contains(unit) {
                return "invalid duration '\(text)'; write it without a space: '\(digits)\(unit)'"
            }
            if let synonym = unitSynonyms[unit] {
                return "invalid duration '\(text)'; did you mean '\(digits)\(synonym)'?"
            }
        }
        return "invalid duration '\(text)'; expected a number and a unit (\(units)), e.g. 500ms or 1s"
    }
}
