import KilnSignal
import Testing

/// Recorded traces: `ts,value` with RFC 3339 or Unix timestamps, empty values for missed polls.
struct TraceCSVTests {
    @Test func unixSecondsWithFractionsAndMissedPolls() throws {
        let trace = try TraceCSV(text: "ts,value\n1718000000,20.5\n1718000000.25,\n1718000001.123456, 21 \n")
        #expect(trace.rows.map(\.time) == [1_718_000_000_000_000, 1_718_000_000_250_000, 1_718_000_001_123_456])
        #expect(trace.rows.map(\.value) == [20.5, nil, 21])
        #expect(trace.rows.map(\.line) == [2, 3, 4])
    }

    @Test(
        arguments: [
            ("2024-06-10T06:13:20Z", 1_718_000_000_000_000),
            ("2024-06-10T08:13:20.5+02:00", 1_718_000_000_500_000),
            ("2024-06-10t06:13:20.000001z", 1_718_000_000_000_001),
            ("2024-06-10 01:13:20-05:00", 1_718_000_000_000_000),
            ("1970-01-01T00:00:00Z", 0),
            ("2000-02-29T00:00:00Z", 951_782_400_000_000),
        ] as [(String, Int64)])
    func rfc3339(_ text: String, _ micros: Int64) {
        #expect(TraceCSV.timestamp(text) == micros)
    }

    @Test(
        arguments: [
            "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-06-10T06:13:20", "yesterday", "12:00", "",
            // Seconds whose µs do not fit in 64 bits: an error, not an overflow.
            "99999999999999", "9223372036854.775808", "-99999999999999.5", "9223372036854775807",
        ])
    func badTimestamps(_ text: String) {
        #expect(TraceCSV.timestamp(text) == nil)
    }

    @Test func theLargestTimestampThatFitsStillParses() {
        #expect(TraceCSV.timestamp("9223372036854.775807") == Int64.max)
        #expect(TraceCSV.timestamp("-9223372036854.775807") == -Int64.max)
    }

    @Test func extraColumnsQuotesCarriageReturnsAndCommentsAreFine() throws {
        let trace = try TraceCSV(text: "# recorded\r\nvalue,ts,unit\r\n\"1.5\",\"10\",degC\r\n\r\n2.5,11,degC\r\n")
        #expect(trace.rows.map(\.value) == [1.5, 2.5])
        #expect(trace.rows.map(\.time) == [10_000_000, 11_000_000])
    }

    @Test(
        arguments: [
            ("time,value\n1,2\n", 1, "expected a header naming the columns 'ts' and 'value', found 'time,value'"),
            ("ts,value\n1,2\n2,abc\n", 3, "value 'abc' is not a number"),
            ("ts,value\n1,2\nnoon,3\n", 3, "'noon' is not a timestamp (RFC 3339, or Unix seconds with a fraction)"),
            ("ts,value\n5,2\n4,3\n", 3, "timestamp '4' is earlier than the line before"),
            ("ts,value\n1\n", 2, "expected 2 columns, found 1"),
            ("", 1, "empty trace: no header"),
        ] as [(String, Int, String)])
    func errorsNameTheLine(_ text: String, _ line: Int, _ message: String) {
        #expect(throws: TraceCSV.ParseError(line: line, message: message)) { try TraceCSV(text: text) }
    }
}
