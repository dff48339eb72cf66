import KilnCore

/// Times as `kiln export --from/--to` take them: RFC 3339 (`2026-11-25T07:00:00Z`,
/// `2026-11-25T08:00:00.5+01:00`), a date (`2026-11-25`, midnight UTC), `now`, or relative to
/// now (`-1h`, `-7d`, `-30m`, `-90s`, `-500ms`, `-2w`).
public enum TimeExpression {
    /// Microseconds since the Unix epoch, UTC; nil when `text` is none of the above.
    public static func parse(_ text: String, now: Int64) -> Int64? {
        let t = text.trimmingWhitespace()
        if t == "now" { return now }
        if let first = t.first, first == "-" || first == "+" {
            guard let span = relative(t.dropFirst()) else { return nil }
            return first == "-" ? now - span : now + span
        }
        return rfc3339(t)
    }

    /// `1h`, `7d`, … in microseconds.
    static func relative(_ text: Substring) -> Int64? {
        let digits = text.prefix { $0.isNumber || $0 == "." }
        guard !digits.isEmpty, let number = Double(digits), number.isFinite, number >= 0 else { return nil }
        let unit: Double
        switch text.dropFirst(digits.count) {
        case "us": unit = 1
        case "ms": unit = 1e3
        case "s": unit = 1e6
        case "m": unit = 60e6
        case "h": unit = 3600e6
        case "d": unit = 86_400e6
        case "w": unit = 604_800e6
        default: return nil
        }
        let micros = number * unit
        guard micros < 9e18 else { return nil }
        return Int64(micros.rounded())
    }

    /// RFC 3339 date-time (or a bare date) in microseconds since the epoch.
    static func rfc3339(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { Timestamp.micros(rfc3339: $0, allowingDate: true) }
    }
}
