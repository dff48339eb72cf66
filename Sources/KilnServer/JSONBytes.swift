import KilnCore

#if canImport(Glibc)
    import Glibc
#endif

/// JSON written by hand into bytes: the API's documents are few and fixed in shape, and the
/// tags snapshot (10,000 tags, rebuilt up to ten times a second) cannot afford `JSONEncoder`.
struct JSONBytes {
    var bytes: [UInt8] = []

    init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    /// Text that is already JSON (punctuation, keys written as `"key":`).
    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func raw(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func raw(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    mutating func null() { raw("null") }

    mutating func bool(_ b: Bool) { b ? raw("true") : raw("false") }

    mutating func integer<T: BinaryInteger>(_ v: T) { raw(String(v)) }

    /// A number; NaN and infinities, which JSON cannot hold, as null.
    mutating func number(_ d: Double) {
        guard d.isFinite else { return null() }
        if d == d.rounded(), abs(d) < 1e15 {
            raw(String(Int64(d)))
        } else {
            raw(d.description)
        }
    }

    mutating func number(_ d: Double?) {
        if let d { number(d) } else { null() }
    }

    /// A quoted string: `"` and `\` escaped, control characters as `\n`, `\t` or `\u00XX`;
    /// everything else as its UTF-8.
    mutating func string(_ text: String) {
        var text = text
        bytes.append(0x22)
        text.withUTF8 { utf8 in
            var start = 0
            for (i, b) in utf8.enumerated() where b < 0x20 || b == 0x22 || b == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                switch b {
                case 0x22: bytes += [0x5C, 0x22]
                case 0x5C: bytes += [0x5C, 0x5C]
                case 0x0A: bytes += [0x5C, 0x6E]
                case 0x0D: bytes += [0x5C, 0x72]
                case 0x09: bytes += [0x5C, 0x74]
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    bytes += [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]]
                }
                start = i + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(0x22)
    }

    mutating func string(_ text: String?) {
        if let text { string(text) } else { null() }
    }

    /// A time as RFC 3339 UTC with milliseconds: `"2026-12-06T20:15:01.123Z"`.
    mutating func time(micros: Int64) {
        bytes.append(0x22)
        JSONBytes.appendTime(micros: micros, to: &bytes)
        bytes.append(0x22)
    }

    mutating func time(micros: Int64?) {
        if let micros { time(micros: micros) } else { null() }
    }

    /// A decoded tag value: bool, integer, number or string.
    mutating func value(_ v: Value?) {
        switch v {
        case nil: null()
        case .bool(let b)?: bool(b)
        case .int(let i)?: integer(i)
        case .uint(let u)?: integer(u)
        case .double(let d)?: number(d)
        case .string(let s)?: string(s)
        }
    }

    static func appendTime(micros: Int64, to out: inout [UInt8]) {
        let millis = floorDiv(micros, 1000)
        var seconds = time_t(floorDiv(millis, 1000))
        let fraction = Int(millis - Int64(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ n: Int, _ width: Int) {
            var n = max(n, 0)
            let start = out.count
            out.append(contentsOf: repeatElement(48, count: width))
            var i = start + width - 1
            while i >= start {
                out[i] = 48 + UInt8(n % 10)
                n /= 10
                i -= 1
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        out.append(0x2D)
        digits(Int(parts.tm_mon) + 1, 2)
        out.append(0x2D)
        digits(Int(parts.tm_mday), 2)
        out.append(0x54)
        digits(Int(parts.tm_hour), 2)
        out.append(0x3A)
        digits(Int(parts.tm_min), 2)
        out.append(0x3A)
        digits(Int(parts.tm_sec), 2)
        out.append(0x2E)
        digits(fraction, 3)
        out.append(0x5A)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// `"2026-12-06T20:15:01.123Z"` without the quotes.
    static func timeText(micros: Int64) -> String {
        var out: [UInt8] = []
        appendTime(micros: micros, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
