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
        var rows: [Row] = []
        var timeColumn = -1
        var valueColumn = -1
        var headerSeen = false
        var lineNumber = 0
        var previous: Int64 = .min
        // "\r\n" is one Character in Swift: split on any newline character.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let trimmed = Self.trim(line)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(Self.field)
            guard headerSeen else {
                headerSeen = true
                let names = fields.map { $0.lowercased() }
                timeColumn = names.firstIndex(of: "ts") ?? -1
                valueColumn = names.firstIndex(of: "value") ?? -1
                guard timeColumn >= 0, valueColumn >= 0 else {
                    throw ParseError(
                        line: lineNumber,
                        message: "expected a header naming the columns 'ts' and 'value', found '\(trimmed)'")
                }
                continue
            }
            guard fields.count > max(timeColumn, valueColumn) else {
                throw ParseError(
                    line: lineNumber,
                    message: "expected \(max(timeColumn, valueColumn) + 1) columns, found \(fields.count)")
            }
            let timeText = fields[timeColumn]
            guard let time = Self.timestamp(timeText) else {
                throw ParseError(
                    line: lineNumber,
                    message: "'\(timeText)' is not a timestamp (RFC 3339, or Unix seconds with a fraction)")
            }
            guard time >= previous else {
                throw ParseError(line: lineNumber, message: "timestamp '\(timeText)' is earlier than the line before")
            }
            previous = time
            let valueText = fields[valueColumn]
            var value: Double?
            if !valueText.isEmpty {
                guard let number = Double(valueText) else {
                    throw ParseError(line: lineNumber, message: "value '\(valueText)' is not a number")
                }
                value = number
            }
            rows.append(
                Row(
                    line: lineNumber, time: time, timeText: timeText, valueText: valueText.isEmpty ? nil : valueText,
                    value: value))
        }
        guard headerSeen else { throw ParseError(line: max(lineNumber, 1), message: "empty trace: no header") }
        self.rows = rows
    }

    // MARK: - Fields

    static func trim(_ s: Substring) -> Substring {
        var s = s
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }

    /// A field without surrounding blanks or double quotes.
    static func field(_ s: Substring) -> String {
        var s = trim(s)
        if s.count >= 2, s.first == "\"", s.last == "\"" { s = s.dropFirst().dropLast() }
        return String(s)
    }

    // MARK: - Timestamps

    /// µs since the epoch from Unix seconds (`1718000000`, `1718000000.25`) or RFC 3339
    /// (`2024-06-10T06:13:20Z`, `2024-06-10T08:13:20.5+02:00`; `t`, `z` and a space separator too).
    public static func timestamp(_ text: String) -> Int64? {
        if let micros = unixMicros(text) { return micros }
        return rfc3339Micros(text)
    }

    static func unixMicros(_ text: String) -> Int64? {
        var bytes = Substring(text).utf8[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") {
            negative = bytes.first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var seconds: Int64 = 0
        var digits = 0
        while let b = bytes.first, b >= 48, b <= 57 {
            let (m, o1) = seconds.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(b - 48))
            guard !o1, !o2, seconds < 10_000_000_000_000 else { return nil }
            seconds = a
            digits += 1
            bytes = bytes.dropFirst()
        }
        var micros: Int64 = 0
        var place: Int64 = 100_000
        var fractionDigits = 0
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            while let b = bytes.first, b >= 48, b <= 57 {
                micros += Int64(b - 48) * place
                place /= 10
                fractionDigits += 1
                bytes = bytes.dropFirst()
            }
        }
        guard bytes.isEmpty, digits + fractionDigits > 0 else { return nil }
        let total = seconds * 1_000_000 + micros
        return negative ? -total : total
    }

    static func rfc3339Micros(_ text: String) -> Int64? {
        let b = Array(text.utf8)
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
