/// A decoded tag value.
///
/// Integers stay integers while no scale or offset applies, so a 64-bit counter is exact.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)

    /// The value as a number, for arithmetic (bool is 0 or 1; strings have none).
    public var number: Double? {
        switch self {
        case .bool(let b): b ? 1 : 0
        case .int(let i): Double(i)
        case .uint(let u): Double(u)
        case .double(let d): d
        case .string: nil
        }
    }

    public var description: String {
        switch self {
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .uint(let u): String(u)
        case .double(let d): Value.format(d)
        case .string(let s): s
        }
    }

    /// Shortest round-tripping text for a double; integral values keep no ".0".
    public static func format(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}
