import KilnCore

extension TraceCSV {
    /// A timestamp field read: a time in ``timeRange``, a well-formed time outside it, or not a
    /// timestamp at all.
    enum TimeField: Equatable {
        case time(Int64)
        case outOfRange
        case invalid
    }

    /// Reads Unix seconds (`1718000000.25`, a sign allowed) or an RFC 3339 date-time.
    static func time(_ bytes: UnsafeBufferPointer<UInt8>) -> TimeField {
        let micros: Int64
        if let unix = unixMicros(bytes) {
            micros = unix
        } else if let rfc3339 = Timestamp.micros(rfc3339: bytes) {
            micros = rfc3339
        } else {
            return .invalid
        }
        return timeRange.contains(micros) ? .time(micros) : .outOfRange
    }

    /// µs since the epoch of Unix seconds with an optional fraction (digits past the sixth
    /// dropped). Seconds too large for 64-bit µs come out as `Int64.max` or `.min`, beyond
    /// ``timeRange`` either way; nil when the text is not such a number.
    static func unixMicros(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        var negative = false
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        var seconds: Int64 = 0
        var digits = 0
        var huge = false
        while i < b.count, b[i] >= 48, b[i] <= 57 {
            // 12 digits of seconds already pass the year 9999 (and stay below 2⁶³ µs): more
            // only say "out of range".
            if seconds < 100_000_000_000 { seconds = seconds * 10 + Int64(b[i] - 48) } else { huge = true }
            digits += 1
            i += 1
        }
        var micros: Int64 = 0
        var place: Int64 = 100_000
        var fractionDigits = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                micros += Int64(b[i] - 48) * place
                place /= 10
                fractionDigits += 1
                i += 1
            }
        }
        guard i == b.count, digits + fractionDigits > 0 else { return nil }
        // Below 10¹² s, µs fit in 63 bits with room to spare.
        let total = huge ? Int64.max : seconds * 1_000_000 + micros
        return negative ? (huge ? .min : -total) : total
    }

    /// Byte-level helpers for the fields of a line.
    enum Field {
        /// A value field read: a number (NaN and infinities when spelled so), a decimal beyond
        /// Double's range, or not a number.
        enum Number: Equatable {
            case number(Double)
            case outOfRange
            case invalid
        }

        /// A decimal number (`21.5`, `-.5`, `3.`, `1e-3`, an optional sign) or `nan`, `inf`,
        /// `infinity` in any case with an optional sign; nothing else, not a byte more.
        static func number(_ b: UnsafeBufferPointer<UInt8>) -> Number {
            number(b, text: String(decoding: b, as: UTF8.self))
        }

        /// ``number(_:)`` of `b`, whose text (`b` decoded) the caller has made already.
        static func number(_ b: UnsafeBufferPointer<UInt8>, text: String) -> Number {
            var i = 0
            if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
            if i < b.count, b[i] | 0x20 == UInt8(ascii: "n") || b[i] | 0x20 == UInt8(ascii: "i") {
                let word = String(decoding: b[i...], as: UTF8.self).lowercased()
                if word == "nan" { return .number(.nan) }
                if word == "inf" || word == "infinity" {
                    return .number(b.first == UInt8(ascii: "-") ? -.infinity : .infinity)
                }
                return .invalid
            }
            func digits() -> Int {
                let start = i
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
                return i - start
            }
            var mantissa = digits()
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                mantissa += digits()
            }
            guard mantissa > 0 else { return .invalid }
            if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
                guard digits() > 0 else { return .invalid }
            }
            guard i == b.count else { return .invalid }
            // Only ASCII digits, signs, a dot and an exponent remain: Double's own parser rounds
            // them correctly, and cannot stop early at a NUL.
            guard let value = Double(text) else { return .invalid }
            return value.isFinite ? .number(value) : .outOfRange
        }

        /// `range` without blanks (spaces, tabs) at either end.
        static func trim(_ range: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>) -> Range<Int> {
            var low = range.lowerBound
            var high = range.upperBound
            while low < high, bytes[low] == 32 || bytes[low] == 9 { low += 1 }
            while high > low, bytes[high - 1] == 32 || bytes[high - 1] == 9 { high -= 1 }
            return low..<high
        }

        /// `range` without the double quotes around it, if it has them.
        static func unquote(_ range: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>) -> Range<Int> {
            let quote = UInt8(ascii: "\"")
            guard range.count >= 2, bytes[range.lowerBound] == quote, bytes[range.upperBound - 1] == quote else {
                return range
            }
            return (range.lowerBound + 1)..<(range.upperBound - 1)
        }

        static func text(_ range: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>) -> String {
            String(decoding: bytes[range], as: UTF8.self)
        }

        /// The field as an error message shows it: control bytes as `\xNN` (a NUL or an escape
        /// sequence must not reach the terminal raw), cut after 60 characters.
        static func shown(_ range: Range<Int>, _ bytes: UnsafeBufferPointer<UInt8>) -> String {
            let limit = 60
            var out = ""
            var count = 0
            for scalar in String(decoding: bytes[range], as: UTF8.self).unicodeScalars {
                if count == limit {
                    out += "…"
                    break
                }
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\x" + (hex.count < 2 ? "0" : "") + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
                count += 1
            }
            return out
        }
    }
}
