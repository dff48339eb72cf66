#if canImport(Glibc)
    import Glibc
#endif

/// Text for values as operators read them: the precision the register actually carries, so a
/// scaled int16 reads `21.5`, not `21.500000000000004`, and a float32 reads `0.1`.
public enum ValueFormat {
    /// The value as text; `nil` becomes an empty string.
    public static func text(_ value: Value?, tag: TagConfig) -> String {
        guard let value else { return "" }
        guard case .double(let d) = value else { return value.description }
        return number(d, tag: tag)
    }

    /// The value as a JSON literal: a number, a boolean, a string, or `null` (also for NaN and
    /// infinities, which JSON cannot carry).
    public static func json(_ value: Value?, tag: TagConfig) -> String {
        guard let value else { return "null" }
        switch value {
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .string(let s): return JSON.quote(s)
        case .double(let d): return d.isFinite ? number(d, tag: tag) : "null"
        }
    }

    /// Significant digits the tag's raw type carries after scaling.
    static func significantDigits(_ type: DataType) -> Int32 {
        switch type {
        case .bool, .int16, .uint16: 10
        case .float32: 9
        case .int32, .uint32: 12
        case .int64, .uint64, .float64, .string: 17
        }
    }

    /// A float32 reading's shortest text. Between 10⁻⁴ and 2²⁴, off the integers, Float's own
    /// text is it (both types write plain decimals there); elsewhere through Double, so large
    /// values and integers read as ``Value/format(_:)`` writes them.
    static func float32(_ d: Double) -> String {
        let f = Float(d)
        // Beyond Float's range the value did not come from a float32 register: print it whole
        // rather than as Float's infinity.
        guard f.isFinite else { return Value.format(d) }
        let magnitude = abs(f)
        if magnitude >= 1e-4, magnitude < 16_777_216, f != f.rounded() { return f.description }
        return Value.format(Double(f.description) ?? d)
    }

    static func number(_ d: Double, tag: TagConfig) -> String {
        guard d.isFinite else { return Value.format(d) }
        if tag.type == .float32, tag.scale == 1, tag.offset == 0 { return float32(d) }
        if tag.type == .float64 { return Value.format(d) }
        var buffer = [CChar](repeating: 0, count: 40)
        let digits = significantDigits(tag.type)
        _ = withVaList([digits, d]) { vsnprintf(&buffer, 40, "%.*g", $0) }
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // Rounded to the register's digits, a value near Double's limit can round past it
        // (1.797693135e308 is infinite): then it prints with all its digits.
        guard let rounded = Double(text), rounded.isFinite else { return Value.format(d) }
        return Value.format(rounded)
    }
}

/// Minimal JSON writing for line-oriented output.
public enum JSON {
    /// A JSON string literal for `s`.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension Int64 {
    func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
