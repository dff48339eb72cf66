/// Durations as written in maps: a number followed by `ms`, `s`, `m`, `h` or `d` (`500ms`, `1.5s`,
/// `365d`; days serve retention periods).
public enum DurationText {
    public static let units = ["ms", "s", "m", "h", "d"]

    /// Parses `text`, or returns nil when it is not a number followed by a known unit.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingWhitespace()
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(digits.count)
        guard !digits.isEmpty, let number = Double(digits), number.isFinite else { return nil }
        let seconds: Double
        switch unit {
        case "ms": seconds = number / 1000
        case "s": seconds = number
        case "m": seconds = number * 60
        case "h": seconds = number * 3600
        case "d": seconds = number * 86400
        default: return nil
        }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// The shortest text `parse` reads back as `duration`.
    public static func format(_ duration: Duration) -> String {
        let ns = duration.nanoseconds
        if ns % 86_400_000_000_000 == 0, ns != 0 { return "\(ns / 86_400_000_000_000)d" }
        if ns % 3_600_000_000_000 == 0, ns != 0 { return "\(ns / 3_600_000_000_000)h" }
        if ns % 60_000_000_000 == 0, ns != 0 { return "\(ns / 60_000_000_000)m" }
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        return "\(Double(ns) / 1e6)ms"
    }
}

extension Duration {
    /// Whole nanoseconds (saturating beyond ±292 years).
    public var nanoseconds: Int64 {
        let (s, atto) = components
        let (product, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return s < 0 ? .min : .max }
        return product + atto / 1_000_000_000
    }

    public var seconds: Double { Double(nanoseconds) / 1e9 }
}

extension StringProtocol {
    func trimmingWhitespace() -> Substring {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}
