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

    @Test func timesRunFrom1970ToTheYear9999() {
        #expect(TraceCSV.timestamp("0") == 0)
        #expect(TraceCSV.timestamp("253402300799.999999") == TraceCSV.timeRange.upperBound)
        #expect(TraceCSV.timestamp("9999-12-31T23:59:59.999999Z") == TraceCSV.timeRange.upperBound)
        #expect(TraceCSV.timestamp("1970-01-01T00:00:00Z") == 0)
    }

    @Test(
        arguments: [
            "-1", "-0.000001", "253402300800", "9223372036854.775807", "-9223372036854.775807",
            "1969-12-31T23:59:59.999999Z", "1970-01-01T00:30:00+01:00", "9999-12-31T23:00:00-05:00",
            "0000-01-01T00:00:00Z",
            "99999999999999999999999999999999",
        ])
    func timesOutsideTheRangeAreRejected(_ text: String) {
        #expect(TraceCSV.timestamp(text) == nil)
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
            ("ts,value\n5,2\n4,3\n", 3, "timestamp '4' is earlier than line 2's '5'; timestamps must increase"),
            (
                "ts,value\n5,2\n\n5,3\n", 4,
                "timestamp '5' repeats line 2's; every row needs a later time than the one before"
            ),
            (
                "ts,value\n1,2\n-5,3\n", 3,
                "timestamp '-5' is out of range: a trace's times lie in the years 1970 to 9999"
            ),
            (
                "ts,value\n1,2\n10000-01-01T00:00:00Z,3\n", 3,
                "'10000-01-01T00:00:00Z' is not a timestamp (RFC 3339, or Unix seconds with a fraction)"
            ),
            ("ts,value\n1,2\n,3\n", 3, "the timestamp is empty"),
            ("ts,value\n1\n", 2, "expected 2 columns, found 1"),
            ("", 1, "empty trace: no header"),
        ] as [(String, Int, String)])
    func errorsNameTheLine(_ text: String, _ line: Int, _ message: String) {
        #expect(throws: TraceCSV.ParseError(line: line, message: message)) { try TraceCSV(text: text) }
    }
}
