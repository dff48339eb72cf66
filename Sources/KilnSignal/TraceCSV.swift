import KilnCore

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
            guard let time = unixMicros(timeBytes) ?? Timestamp.micros(rfc3339: timeBytes) else {
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
        return text.withUTF8 { unixMicros($0) ?? Timestamp.micros(rfc3339: $0) }
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
}
