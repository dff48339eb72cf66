/// Durations as written in maps: a number followed by `ms`, `s`, `m`, `h` or `d` (`500ms`, `1.5s`,
/// `365d`; days serve retention periods).
public enum DurationText {
    public static let units = ["ms", "s", "m", "h", "d"]

    /// Nanoseconds in one of each unit.
    private static let unitNanoseconds: [String: Int64] = [
        "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
        "d": 86_400_000_000_000,
    ]

    /// What `read` makes of a text.
    public enum Reading: Sendable, Equatable {
        /// A duration of whole nanoseconds.
        case duration(Duration)
        /// A well-formed duration too long to count in 64-bit nanoseconds (about 292 years).
        case tooLong
        /// Not a number followed by a known unit.
        case invalid
    }

    /// Parses `text`, or returns nil when it is not a number followed by a known unit, or when it
    /// is too long to count in nanoseconds (`read` tells the two apart).
    public static func parse(_ text: String) -> Duration? {
        if case .duration(let duration) = read(text) { return duration }
        return nil
    }

    /// Parses `text` exactly, in integer arithmetic: digits, an optional fraction and a unit, with
    /// no sign and no exponent. Fractions finer than a nanosecond round to the nearest one.
    /// Never traps, however many digits the text holds.
    public static func read(_ text: String) -> Reading {
        let trimmed = text.trimmingWhitespace().utf8
        let number = trimmed.prefix { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }
        let unitText = String(decoding: trimmed.dropFirst(number.count), as: UTF8.self)
        guard let unit = unitNanoseconds[unitText] else { return .invalid }
        let parts = number.split(separator: 0x2E, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count <= 2, !number.isEmpty, number.contains(where: { $0 != 0x2E }) else { return .invalid }
        // The whole part, checked for overflow digit by digit.
        var whole: Int64 = 0
        for digit in parts[0] {
            let (times10, o1) = whole.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(digit - 0x30))
            if o1 || o2 { return .tooLong }
            whole = sum
        }
        let (wholeNanoseconds, overflow) = whole.multipliedReportingOverflow(by: unit)
        if overflow { return .tooLong }
        // The fraction: 18 digits resolve far below a nanosecond of the longest unit (a day).
        var fraction: Int64 = 0
        var denominator: Int64 = 1
        if parts.count == 2 {
            for digit in parts[1].prefix(18) {
                fraction = fraction * 10 + Int64(digit - 0x30)
                denominator *= 10
            }
        }
        let product = unit.multipliedFullWidth(by: fraction)
        let (quotient, remainder) = denominator.dividingFullWidth(product)
        let rounded = quotient + (remainder * 2 >= denominator && remainder > 0 ? 1 : 0)
        let (total, overflow2) = wholeNanoseconds.addingReportingOverflow(rounded)
        if overflow2 { return .tooLong }
        return .duration(.nanoseconds(total))
    }

    /// The shortest text `parse` reads back as `duration`.
    public static func format(_ duration: Duration) -> String {
        let ns = duration.nanoseconds
        if ns % 86_400_000_000_000 == 0, ns != 0 { return "\(ns / 86_400_000_000_000)d" }
        if ns % 3_600_000_000_000 == 0, ns != 0 { return "\(ns / 3_600_000_000_000)h" }
        if ns % 60_000_000_000 == 0, ns != 0 { return "\(ns / 60_000_000_000)m" }
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        // Exact decimals (a Double would print 1ns as `1e-06ms`, which does not read back).
        let magnitude = ns.magnitude
        var fraction = String(magnitude % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return (ns < 0 ? "-" : "") + "\(magnitude / 1_000_000).\(fraction)ms"
    }
}

extension Duration {
    /// Whole nanoseconds (saturating beyond ±292 years).
    public var nanoseconds: Int64 {
        let (s, atto) = components
        let (product, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return s < 0 ? .min : .max }
        let (sum, overflow2) = product.addingReportingOverflow(atto / 1_000_000_000)
        if overflow2 { return s < 0 ? .min : .max }
        return sum
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
