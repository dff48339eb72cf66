import KilnCore

/// A recorded trace: CSV with a header naming `ts` and `value` (other columns are ignored),
/// `ts` as RFC 3339 or Unix seconds with an optional fraction, and an empty `value` for a poll
/// that brought nothing.
///
/// Timestamps must lie from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z and increase
/// from row to row; a value is a decimal number (`21.5`, `-3e-2`), `NaN` or `inf` (a reading
/// that is not a number: the conditioner withholds it), or empty. Anything else on a line,
/// trailing bytes included, is an error naming that line.
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

    /// Parses `text` whole (for tests and small traces; the commands stream with ``Reader``).
    ///
    /// - Throws: ``ParseError`` for a missing header or column, a timestamp or value that does
    ///   not parse or is out of range, a timestamp that does not increase, or a line too long.
    public init(text: String) throws(ParseError) {
        var text = text
        rows = try text.withUTF8 { Self.parse($0) }.get()
    }

    /// The rows of a trace from its UTF-8 bytes.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<[Row], ParseError> {
        var rows: [Row] = []
        var reader = Reader()
        do throws(ParseError) {
            try reader.read(bytes) { rows.append($0) }
            try reader.finish { rows.append($0) }
        } catch {
            return .failure(error)
        }
        return .success(rows)
    }

    /// µs since the epoch from Unix seconds (`1718000000`, `1718000000.25`) or RFC 3339
    /// (`2024-06-10T06:13:20Z`, `2024-06-10T08:13:20.5+02:00`; `t`, `z` and a space separator
    /// too); nil for anything else and for a time outside ``timeRange``.
    public static func timestamp(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 {
            if case .time(let micros) = time($0) { return micros }
            return nil
        }
    }

    /// The times a trace may hold, µs since the epoch: 1970-01-01T00:00:00Z through
    /// 9999-12-31T23:59:59.999999Z. Any two of them are less than 2⁵⁸ µs apart, so differences
    /// of trace times cannot overflow.
    public static let timeRange: ClosedRange<Int64> = 0...253_402_300_799_999_999
}
