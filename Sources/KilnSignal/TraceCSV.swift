/// A recorded trace: CSV with a header naming `ts` and `value` (other columns are ignored),
/// `ts` as RFC 3339 or Unix seconds with an optional fraction, and an empty `value` for a poll
/// that brought nothing.
public struct TraceCSV: Sendable {
    public struct Row: Sendable, Hashable {
        /// The 1-based line in the file.
        public var line: Int
        /// µs since the Unix epoch.
        public var time: Int64
        /// The timestamp as written.
        public var timeText: String
        /// The value as written (nil for a missed poll) and as a number.
        public var valueText: String?
        public var value: Double?
    }

    /// A problem in the file, with the line it is on.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var line: Int
        public var message: String

        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }

        public var description: String { "line \(line): \(message)" }
    }

    public var rows: [Row]

    /// Parses `text`.
    ///
    /// - Throws: ``ParseError`` for a missing header or column, a timestamp or value that does
    ///   not parse, or timestamps that go back in time.
    public init(text: String) throws(ParseError) {
        var text = text
        rows = try text.withUTF8 { Self.parse($0) }.get()
    }

    /// The rows of a trace, from its UTF-8 bytes: a line ends at LF, CR LF or CR; blank lines
    /// and lines starting with `#` are skipped. Byte by byte, so a recorded day at 10 Hz (nearly
    /// a million rows) parses in a fraction of a second.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[Row], ParseError> {
        var rows: [Row] = []
        var timeColumn = -1
        var valueColumn = -1
        var headerSeen = false
        var lineNumber = 0
        var previous: Int64 = .min
        var start = 0
        let end = bytes.count
        while start < end || (start == end && lineNumber == 0) {
            // The line is start..<stop; the next starts after its line ending.
            var stop = start
            while stop < end, bytes[stop] != 10, bytes[stop] != 13 { stop += 1 }
            let next = stop < end && bytes[stop] == 13 && stop + 1 < end && bytes[stop + 1] == 10 ? stop + 2 : stop + 1
            defer { start = next }
            lineNumber += 1
            let line = Range(uncheckedBounds: (start, stop))
            let trimmed = trim(line, bytes)
            if trimmed.isEmpty || bytes[trimmed.lowerBound] == UInt8(ascii: "#") { continue }
            // The fields, as ranges: all of them for the header, the two columns after it.
            var fieldCount = 0
            var timeField = 0..<0
            var valueField = 0..<0
            var names: [String] = []
            var fieldStart = start
            for i in start...stop where i == stop || bytes[i] == UInt8(ascii: ",") {
                let field = unquote(trim(fieldStart..<i, bytes), bytes)
                if !headerSeen { names.append(text(field, bytes).lowercased()) }
                if fieldCount == timeColumn { timeField = field }
                if fieldCount == valueColumn { valueField = field }
                fieldCount += 1
                fieldStart = i + 1
            }
            guard headerSeen else {
                headerSeen = true
                timeColumn = names.firstIndex(of: "ts") ?? -1
                valueColumn = names.firstIndex(of: "value") ?? -1
                guard timeColumn >= 0, valueColumn >= 0 else {
                    return .failure(
                        ParseError(
                            line: lineNumber,
                            message:
                                "expected a header naming the columns 'ts' and 'value', found '\(text(trimmed, bytes))'"
                        ))
                }
                continue
            }
            guard fieldCount > max(timeColumn, valueColumn) else {
                return .failure(
                    ParseError(
                        line: lineNumber,
                        message: "expected \(max(timeColumn, valueColumn) + 1) columns, found \(fieldCount)"))
            }
            let timeBytes = UnsafeBufferPointer(rebasing: bytes[timeField])
            guard let time = unixMicros(timeBytes) ?? rfc3339Micros(timeBytes) else {
                return .failure(
                    ParseError(
                        line: lineNumber,
                        message:
                            "'\(text(timeField, bytes))' is not a timestamp (RFC 3339, or Unix seconds with a fraction)"
                    ))
            }
            guard time >= previous else {
                return .failure(
                    ParseError(
                        line: lineNumber,
                        message: "timestamp '\(text(timeField, bytes))' is earlier than the line before"))
            }
            previous = time
            var valueText: String?
            var value: Double?
            if !valueField.isEmpty {
                let written = text(valueField, bytes)
                guard let number = Double(written) else {
                    return .failure(ParseError(line: lineNumber, message: "value '\(written)' is not a number"))
                }
                valueText = written
                value = number
            }
            rows.append(
                Row(line: lineNumber, time: time, timeText: text(timeField, bytes), valueText: valueText, value: value))
        }
        guard headerSeen else {
            return .failure(ParseError(line: max(lineNumber, 1), message: "empty trace: no header"))
        }
        return .success(rows)
    }

    // MARK: - Fields

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

    // MARK: - Timestamps

    /// µs since the epoch from Unix seconds (`1718000000`, `1718000000.25`) or RFC 3339
    /// (`2024-06-10T06:13:20Z`, `2024-06-10T08:13:20.5+02:00`; `t`, `z` and a space separator too).
    public static func timestamp(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { unixMicros($0) ?? rfc3339Micros($0) }
    }

    static func unixMicros(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        var negative = false
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") {
            negative = b[i] == UInt8(ascii: "-")
            i += 1
        }
        var seconds: Int64 = 0
        var digits = 0
        while i < b.count, b[i] >= 48, b[i] <= 57 {
            // Beyond 13 digits µs since the epoch would not fit in 64 bits (checked below).
            guard seconds < 10_000_000_000_000 else { return nil }
            seconds = seconds * 10 + Int64(b[i] - 48)
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
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow, scaled <= Int64.max - micros else { return nil }
        return negative ? -(scaled + micros) : scaled + micros
    }

    static func rfc3339Micros(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var n = 0
            for i in from..<(from + count) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                n = n * 10 + Int(b[i] - 48)
            }
            return n
        }
        guard b.count >= 20, let year = number(0, 4), b[4] == UInt8(ascii: "-"), let month = number(5, 2),
            b[7] == UInt8(ascii: "-"), let day = number(8, 2),
            b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
            let hour = number(11, 2), b[13] == UInt8(ascii: ":"), let minute = number(14, 2),
            b[16] == UInt8(ascii: ":"), let second = number(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year, month), hour < 24, minute < 60,
            second <= 60
        else { return nil }
        var i = 19
        var micros = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var place = 100_000
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                micros += Int(b[i] - 48) * place
                place /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            guard let oh = number(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"),
                let om = number(i + 4, 2), oh < 24, om < 60
            else { return nil }
            offset = sign * (oh * 3600 + om * 60)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year, month, day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
        return seconds * 1_000_000 + Int64(micros)
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
