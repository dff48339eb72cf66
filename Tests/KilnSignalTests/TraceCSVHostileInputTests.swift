import KilnSignal
import Testing

/// Traces written carelessly or with intent: every oddity is an error on its line or read
/// exactly, and the reader's memory stays within one line however long the input.
struct TraceCSVHostileInputTests {
    static func error(_ text: String) -> TraceCSV.ParseError? {
        do {
            _ = try TraceCSV(text: text)
            return nil
        } catch {
            return error
        }
    }

    @Test(
        arguments: [
            ("1\u{0}", "1\\x00"), ("1\u{0}\u{0}\u{0}", "1\\x00\\x00\\x00"), ("1\u{1}", "1\\x01"), ("1abc", "1abc"),
            ("1 2", "1 2"), ("0x10", "0x10"), ("1e", "1e"), ("--1", "--1"), (".", "."), ("1..2", "1..2"),
            ("1e5.5", "1e5.5"), ("nan(1)", "nan(1)"), ("infinite", "infinite"), ("\u{1B}[31m1", "\\x1B[31m1"),
            ("\u{661}", "\u{661}"), ("1\u{7F}", "1\\x7F"),
        ])
    func aValueWithAnythingMoreIsAnErrorOnItsLine(_ value: String, _ shown: String) {
        let failure = Self.error("ts,value\n1,20\n2,\(value)\n3,21\n")
        #expect(failure == TraceCSV.ParseError(line: 3, message: "value '\(shown)' is not a number"))
    }

    @Test func aNULInTheTimestampIsAnErrorToo() {
        #expect(
            Self.error("ts,value\n1\u{0},20\n")
                == TraceCSV.ParseError(
                    line: 2, message: "'1\\x00' is not a timestamp (RFC 3339, or Unix seconds with a fraction)"))
    }

    @Test(
        arguments: [
            ("21.5", 21.5), ("-.5", -0.5), ("3.", 3), ("+1e-3", 0.001), ("1E+3", 1000),
            ("1.7976931348623157e308", Double.greatestFiniteMagnitude), ("-1.797e308", -1.797e308),
            ("4.9e-324", Double.leastNonzeroMagnitude), ("1e-400", 0), ("\"7\"", 7),
        ])
    func decimalsAreReadExactly(_ text: String, _ value: Double) throws {
        let trace = try TraceCSV(text: "ts,value\n1,\(text)\n")
        #expect(trace.rows.map(\.value) == [value])
    }

    @Test func nanAndInfinitiesAreReadingsThatAreNotNumbers() throws {
        let trace = try TraceCSV(text: "ts,value\n1,NaN\n2,-inf\n3,Infinity\n4,+INF\n")
        let values = trace.rows.compactMap(\.value)
        #expect(values.count == 4 && values[0].isNaN)
        #expect(values.dropFirst() == [-.infinity, .infinity, .infinity])
        #expect(trace.rows.map(\.valueText) == ["NaN", "-inf", "Infinity", "+INF"])
    }

    @Test func aDecimalBeyondDoubleIsAnError() {
        #expect(
            Self.error("ts,value\n1,1e309\n")
                == TraceCSV.ParseError(
                    line: 2, message: "value '1e309' is beyond the range of a 64-bit float (about ±1.8e308)"))
    }

    @Test func aByteOrderMarkBeforeTheHeaderIsSkippedAndUTF16IsNamed() throws {
        let trace = try TraceCSV(text: "\u{FEFF}ts,value\r\n1,2\r\n")
        #expect(trace.rows.map(\.value) == [2])
        var utf16: [UInt8] = [0xFF, 0xFE]
        for byte in "ts,value\n".utf8 { utf16 += [byte, 0] }
        let failure = utf16.withUnsafeBufferPointer { TraceCSV.parse($0) }
        #expect(
            failure
                == .failure(
                    TraceCSV.ParseError(
                        line: 1, message: "the trace is UTF-16 (it starts with its byte order mark); save it as UTF-8"))
        )
    }

    @Test func errorMessagesCutALongField() throws {
        let failure = try #require(Self.error("ts,value\n1,\(String(repeating: "9", count: 500))x\n"))
        #expect(failure.message == "value '\(String(repeating: "9", count: 60))…' is not a number")
    }

    /// The same trace fed whole and in chunks of every small size gives the same rows: a CR at
    /// the end of one chunk and an LF at the start of the next make one line ending.
    @Test func chunksSplitAnywhereReadTheSame() throws {
        let text = "\u{FEFF}# a comment\r\nts,value,unit\r\n1,20.5,C\r2,,C\n\n3,21,C\r\n4,22.25,C"
        let whole = try TraceCSV(text: text).rows
        #expect(whole.map(\.line) == [3, 4, 6, 7])
        let bytes = Array(text.utf8)
        for size in 1...9 {
            var reader = TraceCSV.Reader()
            var rows: [TraceCSV.Row] = []
            for start in stride(from: 0, to: bytes.count, by: size) {
                try bytes[start..<min(start + size, bytes.count)].withUnsafeBufferPointer {
                    (b) throws(TraceCSV.ParseError) in try reader.read(b) { rows.append($0) }
                }
            }
            try reader.finish { rows.append($0) }
            #expect(rows == whole, "chunks of \(size)")
        }
    }

    /// A file with no line breaks (`/dev/zero`, a binary) fails on line 1 once one line's worth
    /// of it has been read, not when memory runs out.
    @Test func anEndlessLineFailsWithinOneLinesWorth() {
        var reader = TraceCSV.Reader()
        let zeros = [UInt8](repeating: 0, count: 4096)
        var read = 0
        var failure: TraceCSV.ParseError?
        while read < 1 << 24, failure == nil {
            do {
                try zeros.withUnsafeBufferPointer { (b) throws(TraceCSV.ParseError) in try reader.read(b) { _ in } }
                read += zeros.count
            } catch {
                failure = error
            }
        }
        #expect(read <= TraceCSV.Reader.maxLineBytes)
        #expect(
            failure
                == TraceCSV.ParseError(
                    line: 1, message: "line is longer than 65536 bytes: not a trace of ts,value rows"))
    }

    @Test func aLongLineAfterGoodRowsNamesItsLine() {
        let long = String(repeating: "1", count: TraceCSV.Reader.maxLineBytes + 1)
        #expect(
            Self.error("ts,value\n1,2\n\(long)\n3,4\n")
                == TraceCSV.ParseError(
                    line: 3, message: "line is longer than 65536 bytes: not a trace of ts,value rows"))
    }
}
